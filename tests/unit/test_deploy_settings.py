"""The deployment and the code agree: app settings, table and queue names.

Every app setting `shared.config.Settings` reads must be in `local.settings.sample.json` (the local
form) and in the app settings of `infra/main.bicep` (the Azure form); every table and queue the code
uses must be created by the Bicep; secrets reach the app only as Key Vault references. The Bicep is
read with a small scanner here (no checkov needed); `.ci/infra-check.sh` parses it fully.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Collection, Iterable
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, SecretStr
from pydantic.fields import FieldInfo

from shared.config import AlgaSettings, Settings
from shared.models.queue import POISON_QUEUE, SYNC_QUEUE
from shared.store.names import TABLES

ROOT = Path(__file__).resolve().parents[2]
MAIN_BICEP = ROOT / "infra" / "main.bicep"
PARAM_FILE = ROOT / "infra" / "main.bicepparam"
SAMPLE = ROOT / "local.settings.sample.json"
HOST_JSON = ROOT / "host.json"

# In Azure the host and the app reach storage through the managed identity; these settings together
# stand for the local `AzureWebJobsStorage` connection string.
STORAGE_CONNECTION = "AzureWebJobsStorage"
IDENTITY_STORAGE = frozenset(
    f"{STORAGE_CONNECTION}__{suffix}"
    for suffix in ("blobServiceUri", "queueServiceUri", "tableServiceUri", "credential", "clientId")
)
# Settings read by the Functions platform rather than by our code.
PLATFORM_SETTINGS = frozenset(
    {
        "FUNCTIONS_WORKER_RUNTIME",  # local only: Flex Consumption takes the runtime from functionAppConfig
        "AzureWebJobsFeatureFlags",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        *IDENTITY_STORAGE,
    }
)


# --- a small Bicep scanner ------------------------------------------------------------------------


def _code(text: str) -> str:
    """The Bicep text with comments blanked out (string literals kept), so brackets can be counted."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("'''", i):
            end = text.find("'''", i + 3)
            end = n if end < 0 else end + 3
            out.append(text[i:end])
            i = end
        elif text[i] == "'":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append("\n" * text.count("\n", i, end))
            i = end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _declaration(code: str, kind: str, name: str) -> str:
    """The bracketed value of `var name = {...}` or `[...]` (`kind` is `var`, `param`, ...), inner text only."""
    match = re.search(rf"^{kind}\s+{name}\s*=\s*([\[{{])", code, re.MULTILINE)
    if match is None:
        raise AssertionError(f"{kind} {name} not found")
    depth, in_string = 0, False
    for pos in range(match.start(1), len(code)):
        char = code[pos]
        if char == "'":
            in_string = not in_string
        elif not in_string and char in "[{(":
            depth += 1
        elif not in_string and char in "]})":
            depth -= 1
            if depth == 0:
                return code[match.end(1) : pos]
    raise AssertionError(f"{kind} {name} is not closed")


def _top_level_lines(inner: str) -> list[str]:
    """The lines of a block's body that start at its own level (not inside a nested value)."""
    lines, depth = [], 0
    for line in inner.splitlines():
        if depth == 0 and line.strip():
            lines.append(line.strip())
        stripped = re.sub(r"'[^']*'", "''", line)
        depth += sum(stripped.count(c) for c in "[{(") - sum(stripped.count(c) for c in "]})")
    return lines


def bicep_object(code: str, name: str) -> dict[str, str]:
    """`var name = { KEY: value ... }` as {KEY: value expression text}."""
    entries: dict[str, str] = {}
    for line in _top_level_lines(_declaration(code, "var", name)):
        match = re.match(r"(?:'([^']+)'|([A-Za-z_][A-Za-z0-9_]*))\s*:\s*(.*)$", line)
        assert match, f"unexpected line in var {name}: {line}"
        key = match.group(1) or match.group(2)
        assert key not in entries, f"{key} is set twice in var {name}"
        entries[key] = match.group(3)
    return entries


def bicep_string_array(code: str, name: str) -> list[str]:
    """`var name = [ 'a' 'b' ... ]` as a list of its string literals."""
    items = []
    for line in _top_level_lines(_declaration(code, "var", name)):
        match = re.fullmatch(r"'([^'$]*)',?", line)
        assert match, f"var {name} should list plain strings, found: {line}"
        items.append(match.group(1))
    return items


def bicep_params(code: str) -> dict[str, bool]:
    """Parameters declared in a .bicep file: {name: is @secure()}."""
    params: dict[str, bool] = {}
    decorators: list[str] = []
    for line in code.splitlines():
        stripped = line.strip()
        if stripped.startswith("@"):
            decorators.append(stripped)
            continue
        match = re.match(r"param\s+(\w+)\s", stripped)
        if match:
            params[match.group(1)] = any(d.startswith("@secure(") for d in decorators)
        if stripped:
            decorators = []
    return params


# --- what the code reads, what the deployment sets --------------------------------------------------


def _app_settings(settings: type[Settings]) -> list[tuple[str, FieldInfo]]:
    """(app setting name, field) for every setting: a nested model's fields as `ALIAS__FIELD`
    (pydantic-settings' `env_nested_delimiter`, e.g. `PSA_SYNCRO__API_KEY`)."""
    found: list[tuple[str, FieldInfo]] = []
    for name, field in settings.model_fields.items():
        if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("appSetting") is False:
            continue
        alias = field.alias or name
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            found += [(f"{alias}__{sub.upper()}", inner) for sub, inner in nested.model_fields.items()]
        else:
            found.append((alias, field))
    return found


def code_settings(settings: type[Settings] = Settings) -> list[str]:
    return [alias for alias, _ in _app_settings(settings)]


def secret_settings(settings: type[Settings] = Settings) -> list[str]:
    return [
        alias
        for alias, field in _app_settings(settings)
        if SecretStr in typing.get_args(field.annotation) or field.annotation is SecretStr
    ]


def sample_settings() -> dict[str, str]:
    values: dict[str, str] = json.loads(SAMPLE.read_text())["Values"]
    return values


def bicep_settings() -> dict[str, str]:
    return bicep_object(_code(MAIN_BICEP.read_text()), "appSettings")


def missing_settings(
    aliases: Iterable[str], *, bicep: Collection[str], sample: Collection[str]
) -> dict[str, list[str]]:
    """Each setting the code reads that a deployment form lacks, with the forms that lack it.

    In Bicep, `AzureWebJobsStorage` (a connection string, local only) counts as present when the
    identity-based `AzureWebJobsStorage__*` settings all are.
    """
    missing: dict[str, list[str]] = {}
    for alias in aliases:
        where = []
        in_bicep = alias in bicep or (alias == STORAGE_CONNECTION and set(bicep) >= IDENTITY_STORAGE)
        if not in_bicep:
            where.append("infra/main.bicep")
        if alias not in sample:
            where.append("local.settings.sample.json")
        if where:
            missing[alias] = where
    return missing


# --- app settings ------------------------------------------------------------------------------------


def test_every_setting_the_code_reads_is_in_the_sample_and_in_the_bicep_app_settings() -> None:
    assert missing_settings(code_settings(), bicep=bicep_settings(), sample=sample_settings()) == {}


def test_a_setting_added_to_the_code_only_is_reported_missing_from_both() -> None:
    class SettingsWithANewKnob(Settings):
        new_knob: str = Field(default="", alias="NEW_KNOB")

    before = missing_settings(code_settings(), bicep=bicep_settings(), sample=sample_settings())
    after = missing_settings(code_settings(SettingsWithANewKnob), bicep=bicep_settings(), sample=sample_settings())

    assert after.pop("NEW_KNOB") == ["infra/main.bicep", "local.settings.sample.json"]
    assert after == before


def test_the_storage_connection_string_counts_in_bicep_only_through_all_identity_settings() -> None:
    without_client_id = set(IDENTITY_STORAGE) - {"AzureWebJobsStorage__clientId"}

    assert missing_settings([STORAGE_CONNECTION], bicep=IDENTITY_STORAGE, sample=[STORAGE_CONNECTION]) == {}
    assert missing_settings([STORAGE_CONNECTION], bicep=without_client_id, sample=[STORAGE_CONNECTION]) == {
        STORAGE_CONNECTION: ["infra/main.bicep"]
    }


@pytest.mark.parametrize(("form", "settings"), [("bicep", bicep_settings), ("sample", sample_settings)])
def test_the_deployment_sets_nothing_that_neither_the_code_nor_the_platform_reads(
    form: str, settings: typing.Any
) -> None:
    unknown = set(settings()) - set(code_settings()) - PLATFORM_SETTINGS

    assert unknown == set(), f"{form} sets settings nobody reads (a typo?): {sorted(unknown)}"


def test_nested_settings_are_listed_by_their_app_setting_names() -> None:
    class SettingsWithANestedPsa(Settings):
        psa_acme: AlgaSettings = Field(default_factory=AlgaSettings, alias="PSA_ACME")

    names = code_settings(SettingsWithANestedPsa)

    assert {"PSA_ACME__BASE_URL", "PSA_ACME__API_KEY", "PSA_ACME__TENANT_ID"} <= set(names)
    assert "PSA_ACME" not in names
    assert "PSA_ACME__API_KEY" in secret_settings(SettingsWithANestedPsa)


def test_each_instance_paces_to_the_share_the_bicep_scales_out_to() -> None:
    assert bicep_settings()["PSA_MAX_INSTANCES"] == "string(maximumInstanceCount)"


def test_azure_reaches_storage_with_the_managed_identity_not_a_connection_string() -> None:
    settings = bicep_settings()

    assert STORAGE_CONNECTION not in settings
    assert settings["AzureWebJobsStorage__credential"] == "'managedidentity'"


def test_secrets_reach_the_app_only_as_key_vault_references() -> None:
    code = _code(MAIN_BICEP.read_text())
    settings = bicep_settings()
    secure_params = {name for name, secure in bicep_params(code).items() if secure}
    key_vault_reference = re.search(r"^var\s+(\w+)\s*=\s*'@Microsoft\.KeyVault\(SecretUri=", code, re.MULTILINE)
    assert key_vault_reference, "main.bicep should build its Key Vault references in one variable"
    reference = key_vault_reference.group(1)

    assert secret_settings() == [
        "GRAPH_CLIENT_SECRET",
        "GRAPH_CLIENT_CERTIFICATE",
        "PSA_SYNCRO__API_KEY",
        "PSA_ALGA__API_KEY",
        "PSA_HALOPSA__CLIENT_SECRET",
        "PSA_CONNECTWISE__PRIVATE_KEY",
        "PSA_AUTOTASK__SECRET",
        "PSA_AUTOTASK__WEBHOOK_SECRET",
        "WEBHOOK_SECRET",
        "CONSENT_STATE_SECRET",
    ]
    for alias in secret_settings():
        for outcome in _outcomes(settings[alias]):
            assert outcome == "''" or outcome.startswith(f"'${{{reference}}}"), f"{alias}: {outcome} in Bicep"
        assert sample_settings()[alias] == "", f"{alias} must be empty in the committed sample"
    for alias, value in settings.items():
        outside_strings = re.sub(r"'[^']*'", " ", value)
        used = set(re.findall(r"[A-Za-z_]\w*", " ".join([outside_strings, *re.findall(r"\$\{([^}]*)\}", value)])))
        assert not used & secure_params, f"{alias} takes a @secure() parameter as a plain app setting"


def _outcomes(expression: str) -> list[str]:
    """The values an app-setting expression can take: both branches of `cond ? a : b`, else itself."""
    masked = re.sub(r"'[^']*'", lambda m: "'" + "_" * (len(m.group()) - 2) + "'", expression)
    if "?" not in masked:
        return [expression.strip()]
    question = masked.index("?")
    colon = masked.index(":", question)
    return [expression[question + 1 : colon].strip(), expression[colon + 1 :].strip()]


# --- tables and queues -------------------------------------------------------------------------------


def test_bicep_creates_exactly_the_tables_the_code_uses() -> None:
    tables = bicep_string_array(_code(MAIN_BICEP.read_text()), "tableNames")

    assert len(tables) == len(set(tables))
    assert set(tables) == set(TABLES)


def test_bicep_creates_the_sync_queue_and_the_poison_queue_the_host_moves_failures_to() -> None:
    queues = bicep_string_array(_code(MAIN_BICEP.read_text()), "queueNames")

    assert sorted(queues) == sorted([SYNC_QUEUE, POISON_QUEUE])
    # The Functions host names a queue's poison queue '<queue>-poison'; the poison trigger listens there.
    assert f"{SYNC_QUEUE}-poison" == POISON_QUEUE


def test_host_json_reads_queue_messages_as_the_code_writes_them() -> None:
    queues = json.loads(HOST_JSON.read_text())["extensions"]["queues"]

    assert queues["messageEncoding"] == "none"
    assert queues["maxDequeueCount"] >= 1


def test_triggers_name_only_known_queues_tables_and_settings() -> None:
    known = {SYNC_QUEUE, POISON_QUEUE, *TABLES}
    settings = set(bicep_settings()) | {STORAGE_CONNECTION}
    sources = [ROOT / "function_app.py", *sorted((ROOT / "functions").glob("*.py"))]
    for path in (p for p in sources if p.exists()):
        text = path.read_text()
        for name in re.findall(r"\b(?:queue_name|table_name)\s*=\s*[\"']([^\"']+)[\"']", text):
            expression = re.fullmatch(r"%(\w+)%", name)
            assert (expression and expression.group(1) in settings) or name in known, f"{path.name}: {name}"
        for setting in re.findall(r"[\"']%(\w+)%[\"']", text):
            assert setting in settings, f"{path.name} binds %{setting}%, which the Bicep does not set"
        for connection in re.findall(r"\bconnection\s*=\s*[\"']([^\"']+)[\"']", text):
            assert connection == STORAGE_CONNECTION, f"{path.name}: connection {connection}"


@pytest.mark.parametrize("table", TABLES)
def test_table_names_are_valid_in_azure(table: str) -> None:
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{2,62}", table)


@pytest.mark.parametrize("queue", [SYNC_QUEUE, POISON_QUEUE])
def test_queue_names_are_valid_in_azure(queue: str) -> None:
    assert re.fullmatch(r"[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]", queue)


# --- the parameter file ---------------------------------------------------------------------------------


def test_the_parameter_file_sets_only_parameters_of_main_bicep_and_no_secret_literal() -> None:
    params = bicep_params(_code(MAIN_BICEP.read_text()))
    assigned = re.findall(r"^param\s+(\w+)\s*=\s*(.+)$", _code(PARAM_FILE.read_text()), re.MULTILINE)

    assert assigned, "main.bicepparam assigns no parameter"
    for name, value in assigned:
        assert name in params, f"main.bicepparam sets {name}, which main.bicep does not declare"
        if params[name]:
            assert value.startswith("readEnvironmentVariable("), f"{name} is a secret: read it from the environment"
