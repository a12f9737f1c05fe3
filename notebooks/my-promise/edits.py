"""09-new-promise's changes to the tutorial's files, in the order the notebook makes them: each is a list of exact
(old, new) replacements (``cookbook.edit_file`` applies them and shows the diff)."""

# Required labels on every output: one ``labels`` map, from what Kratix tells the pipeline
LABELS = [
    (
        "    requests = SIZES[size]\n",
        "    requests = SIZES[size]\n"
        "    labels = {  # the platform's required labels, on every output\n"
        '        "app": name,\n'
        '        "kratix.io/promise-name": sdk.promise_name(),\n'
        '        "kratix.io/resource-name": resource.get_name(),\n'
        '        "app.kubernetes.io/managed-by": "kratix",\n'
        "    }\n",
    ),
    (
        '            "labels": {\n'
        '                "app": name,\n'
        '                "kratix.io/promise-name": "my-promise",\n'
        '                "app.kubernetes.io/managed-by": "kratix",\n'
        "            },\n",
        '            "labels": labels,\n',
    ),
    ('"labels": {"app": name, "kratix.io/promise-name": "my-promise"},', '"labels": labels,'),
]

# Never output ``kind: Secret``: the seed's FORBIDDEN example, then its REQUIRED pattern (an ExternalSecret)
SECRET = """\
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": f"{name}-credentials", "namespace": "default", "labels": labels},
        "type": "Opaque",
        "data": {"password": "bXlzZWNyZXRwYXNzd29yZA=="},
    }
    sdk.write_output("secret.yaml", yaml.safe_dump(secret, sort_keys=False).encode())
"""
ADD_SECRET = [('    print(f"rendered', SECRET + '    print(f"rendered')]

EXTERNAL_SECRET = """\
    credentials = {  # External Secrets Operator creates the Secret in the cluster, from 1Password
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": f"{name}-credentials", "namespace": "default", "labels": labels},
        "spec": {
            "secretStoreRef": {"name": "onepassword-store", "kind": "ClusterSecretStore"},
            "target": {"name": f"{name}-credentials"},
            "data": [
                {"secretKey": "password", "remoteRef": {"key": f"{name}-credentials", "property": "password"}}
            ],
        },
    }
    sdk.write_output("externalsecret.yaml", yaml.safe_dump(credentials, sort_keys=False).encode())
"""
SECRET_TO_EXTERNAL_SECRET = [(SECRET, EXTERNAL_SECRET)]

# Always set an explicit namespace: the Service's dropped, then put back
SERVICE_METADATA = """\
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": "default",
"""
WITHOUT_NAMESPACE = "".join(line for line in SERVICE_METADATA.splitlines(True) if '"namespace"' not in line)
DROP_NAMESPACE = [(SERVICE_METADATA, WITHOUT_NAMESPACE)]
RESTORE_NAMESPACE = [(WITHOUT_NAMESPACE, SERVICE_METADATA)]

# Validate inputs, with clear errors
VALIDATE = """\
def validate(resource) -> tuple[str, str]:
    \"\"\"The request's name and size, or exit 1 naming the field, the rule and the value.\"\"\"
    name = resource.get_value("spec.name", default="")
    size = resource.get_value("spec.size", default="small")
    if not re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", name) or len(name) > 63:
        sys.exit(
            f"ERROR: spec.name {name!r} must start with a letter and be at most 63 lower-case letters,"
            " digits or '-': it names a Service"
        )
    if size not in SIZES:
        sys.exit(f"ERROR: spec.size must be one of: {', '.join(SIZES)} (got {size!r})")
    return name, size


"""
VALIDATE_INPUTS = [
    ("import kratix_sdk as ks\n", "import re\nimport sys\n\nimport kratix_sdk as ks\n"),
    ("def configure(sdk", VALIDATE + "def configure(sdk"),
    (
        '    name = resource.get_value("spec.name")\n    size = resource.get_value("spec.size", default="small")\n',
        "    name, size = validate(resource)\n",
    ),
]

# ... and better: in the API (promise.yaml), where the API server refuses the name before the commit
STRICTER_NAME = [
    (
        "pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
        "pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$'\n                      maxLength: 63",
    )
]
