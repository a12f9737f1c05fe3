"""my-promise's pipeline on kratix-sdk: the seed's configure-pipeline.sh and delete-pipeline.sh in Python.

Kratix runs it with the request in /kratix/input/object.yaml; everything written to /kratix/output becomes the Work.
"""

import kratix_sdk as ks
import yaml

# Resource allocation per size
SIZES = {
    "small": {"cpu": "100m", "memory": "128Mi"},
    "medium": {"cpu": "500m", "memory": "512Mi"},
    "large": {"cpu": "2000m", "memory": "2Gi"},
}


def configure(sdk: ks.KratixSDK) -> None:
    resource = sdk.read_resource_input()
    name = resource.get_value("spec.name")
    size = resource.get_value("spec.size", default="small")
    requests = SIZES[size]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {
                "app": name,
                "kratix.io/promise-name": "my-promise",
                "app.kubernetes.io/managed-by": "kratix",
            },
        },
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "nginx:latest", "resources": {"requests": requests}}]},
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": name,
            "namespace": "default",
            "labels": {"app": name, "kratix.io/promise-name": "my-promise"},
        },
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 80}]},
    }
    sdk.write_output("deployment.yaml", yaml.safe_dump(deployment, sort_keys=False).encode())
    sdk.write_output("service.yaml", yaml.safe_dump(service, sort_keys=False).encode())
    print(f"rendered Deployment/{name} and Service/{name}: size {size}, requests {requests}")


def delete(sdk: ks.KratixSDK) -> None:
    name = sdk.read_resource_input().get_value("spec.name")
    print(f"Delete pipeline completed for: {name}")


if __name__ == "__main__":  # the image's entrypoint: python /pipeline.py
    sdk = ks.KratixSDK()
    if sdk.is_configure_action():
        configure(sdk)
    else:
        delete(sdk)
