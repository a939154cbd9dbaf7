from django.http import HttpResponse


def goal_set_list(request, **kw):
    return HttpResponse("")


def goal_set_create(request, **kw):
    return HttpResponse("")


def goal_set_detail(request, **kw):
    return HttpResponse("")


def goal_add(request, **kw):
    return HttpResponse("")


def goal_set_submit(request, **kw):
    return HttpResponse("")


def goal_set_decide(request, **kw):
    return HttpResponse("")


def goal_set_compare(request, **kw):
    return HttpResponse("")


def goal_detail(request, **kw):
    return HttpResponse("")


def goal_edit(request, **kw):
    return HttpResponse("")


def goal_remove(request, **kw):
    return HttpResponse("")


def goal_decompose(request, **kw):
    return HttpResponse("")


def inbox(request, **kw):
    return HttpResponse("")


def batch_approve(request, **kw):
    return HttpResponse("")


def rules(request, **kw):
    return HttpResponse("")


def suggestion_list(request, **kw):
    return HttpResponse("")


def suggestion_unit(request, **kw):
    return HttpResponse("")


def suggestion_decide(request, **kw):
    return HttpResponse("")


def notifications(request, **kw):
    return HttpResponse("")
