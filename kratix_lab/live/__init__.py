"""Live mode: a platform read through a real Kubernetes API (the official ``kubernetes`` client) and a
clone of its state repo, behind the same ``Source`` protocol trace and diagnose use for the lab.

``kube.Kube``: one API client (kubeconfig context or in-cluster), raw JSON requests, discovery, a
client-side rate limiter and timeouts. ``repos.StateRepos``: bare clones of the state repos in the
user's cache directory. ``kratix_lab.sources.live.LiveSource`` puts them together. Design notes and
the upstream facts they rest on: ``docs/live.md`` (shared) and the README's "Live mode" section.
"""
