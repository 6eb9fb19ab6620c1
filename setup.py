"""Packages: every package under laro_kb/ is found, so a new subpackage ships without editing a list.

The one thing setup.cfg cannot say: kb/ lives at the top of the repository (where criteria authors edit it) but
ships inside the wheel as laro_kb/kb/ (setup.cfg maps it with package_dir), so its folders are found under kb/.
Everything else about the package is in setup.cfg.
"""

from setuptools import find_namespace_packages, find_packages, setup

KB_PACKAGES = ["laro_kb.kb"] + ["laro_kb.kb." + name for name in find_namespace_packages(where="kb")]

setup(packages=find_packages(include=["laro_kb", "laro_kb.*"]) + KB_PACKAGES)
