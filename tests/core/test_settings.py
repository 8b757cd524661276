import re

import pytest

from tinyreg.registry import SETTINGS, Invalid, load_settings

from ..conftest import REPO


def test_every_setting_is_in_the_readme_table():
    readme = (REPO / "README.md").read_text()
    documented = set(re.findall(r"^\|\s*`([a-z_]+)`\s*\|", readme, flags=re.M))
    assert documented == {s.name for s in SETTINGS}


def test_layers_defaults_file_environment_overrides(tmp_path):
    config = tmp_path / "tinyreg.toml"
    config.write_text('port = 9000\nsparql_max_rows = 50\nhost = "0.0.0.0"\n')
    env = {"TINYREG_PORT": "9100", "TINYREG_SPARQL_ALLOW_FEDERATION": "yes"}
    s = load_settings(config_file=config, environ=env, host="127.0.0.2", data_dir=str(tmp_path))
    assert s.port == 9100                    # environment beats the file
    assert s.sparql_max_rows == 50           # file beats the default
    assert s.host == "127.0.0.2"             # overrides beat everything
    assert s.sparql_allow_federation is True
    assert s.sparql_timeout_ms == 5000       # default


@pytest.mark.parametrize("env", [{"TINYREG_PORT": "eighty"}, {"TINYREG_PORT": "-1"},
                                 {"TINYREG_SPARQL_ALLOW_UPDATE": "maybe"}])
def test_bad_values_name_the_setting(env):
    with pytest.raises(Invalid, match=r"setting \w+"):
        load_settings(environ=env)


def test_unknown_setting_in_file_is_refused(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text("prot = 1\n")
    with pytest.raises(Invalid, match="unknown setting 'prot'"):
        load_settings(config_file=config, environ={})


def test_settings_command_hides_secrets(invoke, monkeypatch):
    monkeypatch.setenv("TINYREG_WRITE_TOKEN", "s3cret")
    out = invoke("settings").output
    assert "s3cret" not in out and "write_token = '(set)'" in out
    for s in SETTINGS:
        assert s.name in out
