"""The framework the domain apps stand on: base models, scope, audit trail, request ids."""
