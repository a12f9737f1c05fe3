"""Kubernetes-generic helpers that know nothing of the lab: the kind registry and object references."""
