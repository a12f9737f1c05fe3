"""The diagnose rules, grouped by stretch of the road. Importing this package registers them in the order they run
(the Kratix stretch, then the state repo + Argo CD, then Helm + workloads, then the host's DNS, then what the pipelines
wrote and what landed); a node's symptom rules (``engine.SYMPTOMS``) are skipped below a blocking cause found first."""

# the imports are in the rules' running order (isort: split keeps it)
from kratix_lab.diagnose.rules import kratix  # noqa: F401

# isort: split
from kratix_lab.diagnose.rules import gitops  # noqa: F401

# isort: split
from kratix_lab.diagnose.rules import workloads  # noqa: F401

# isort: split
from kratix_lab.diagnose.rules import dns  # noqa: F401

# isort: split
from kratix_lab.diagnose.rules import outputs  # noqa: F401

# isort: split
from kratix_lab.diagnose.rules.registry import RULES, Rule, _request_of, rule

__all__ = ["RULES", "Rule", "_request_of", "rule"]
