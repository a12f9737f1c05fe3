"""The one pipeline image of the catalogue: which container specs kratix-lab can run in-process."""

from __future__ import annotations

from kratix_lab import __version__

PIPELINE_IMAGE_REPOSITORY = "ghcr.io/integratn-tech/kratix-lab-pipeline"
PIPELINE_IMAGE = f"{PIPELINE_IMAGE_REPOSITORY}:v{__version__}"
PIPELINE_COMMAND = ["kratix-lab-pipeline"]


def image_repository(image: str) -> str:
    """``registry/repo`` of an image reference, without tag or digest."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return ref[: len(ref) - len(last)] + last.split(":", 1)[0]


def image_tag(image: str) -> str:
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def is_catalogue_image(image: str) -> bool:
    return image_repository(image) == PIPELINE_IMAGE_REPOSITORY
