"""The sign-in form (django-axes counts its failures) and the password change form."""

from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from kaohe.core import accounts


class LoginForm(AuthenticationForm):
    """Django's form with autofocus and autocomplete hints."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autofocus": True, "autocomplete": "username"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})


class PasswordForm(PasswordChangeForm):
    """Django's checks (current password, the policy, the two entries equal); the change itself
    is the audited service."""

    def save(self, commit=True):
        accounts.change_password(
            self.user,
            old_password=self.cleaned_data["old_password"],
            new_password=self.cleaned_data["new_password1"],
        )
        return self.user
