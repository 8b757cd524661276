"""The wheel carries the Turtle files and the packages, and works without the checkout."""
import os
import subprocess
import sys
import tomllib

from ..conftest import REPO


def _declared_packages():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    return set(project["tool"]["setuptools"]["packages"])


def test_every_python_package_is_declared():
    mapping = {"registry": "tinyreg.registry", "web": "tinyreg.web", "deploy": "tinyreg.deploy"}
    found = set()
    for top, name in mapping.items():
        for init in (REPO / top).rglob("__init__.py"):
            rel = init.parent.relative_to(REPO / top)
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found <= _declared_packages(), f"add to pyproject: {sorted(found - _declared_packages())}"


def test_non_editable_install_loads_the_ontology(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(REPO)],
                   check=True, timeout=300, capture_output=True)
    assert (target / "tinyreg" / "ontology" / "tinyml.ttl").is_file()
    web = target / "tinyreg" / "web"  # the dashboard's pages and their style
    assert (web / "templates" / "base.html").is_file() and (web / "static" / "tinyreg.css").is_file()
    code = ("import tinyreg.registry.resources as r; "
            "from tinyreg.registry.competency import competency_questions; "
            "assert 'site' in str(r.ontology_file()), r.ontology_file(); "
            "print(len(r.ontology_graph()), len(r.modules()), len(competency_questions()), "
            "r.changelog_file().is_file())")
    env = dict(os.environ, PYTHONPATH=str(target))
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True,
                         capture_output=True, text=True, timeout=120)
    triples, shipped_modules, questions, changelog = out.stdout.split()
    assert int(triples) > 500
    # Every module the core imports and every competency question ships in the wheel.
    assert int(shipped_modules) == len(list((REPO / "ontology").glob("*.ttl")))
    assert int(questions) == len(list((REPO / "ontology" / "competency").glob("*.rq")))
    assert changelog == "True"
