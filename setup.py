"""Packaging that pyproject.toml cannot say on its own: ``resources/`` stays at the top of the repository (the
design card's layout) and ships inside the package as ``tpi_notes/_resources``, where ``tpi_notes.paths``
finds it through ``importlib.resources`` in an installed wheel (issue 18). Everything else is in pyproject.toml.
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

# The versioned data folders the app reads at run time (not the atlas generator, resources/atlas/atlas_src).
DATA_FOLDERS = sorted(p.name for p in Path(__file__).parent.joinpath("resources").iterdir()
                      if p.is_dir() and any(p.glob("*.json")))
DATA_PACKAGES = [f"tpi_notes._resources.{name}" for name in DATA_FOLDERS]

setup(
    packages=[*find_namespace_packages(include=["tpi_notes", "tpi_notes.*"], exclude=["*.__pycache__"]),
              "tpi_notes._resources", *DATA_PACKAGES],
    package_dir={"tpi_notes._resources": "resources"},
    package_data={
        "tpi_notes": ["db/migrations/*.py", "db/migrations/versions/*.py", "db/migrations/script.py.mako"],
        **{package: ["*.json", "*.md", "*.txt"] for package in DATA_PACKAGES},  # .txt: CMS's ICD-10-CM addenda
    },
    exclude_package_data={"tpi_notes._resources": ["*.py"], **{package: ["*.py"] for package in DATA_PACKAGES}},
)
