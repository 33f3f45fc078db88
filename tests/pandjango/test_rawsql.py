"""The raw SQL registry: its entries, the text it renders (the Oracle text checked by parsing
it with sqlglot's Oracle dialect, since no Oracle server runs here), `manage.py rawsql` and
/api/meta/queries/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlglot
from django.core.management import CommandError, call_command
from django.utils import timezone
from sqlglot import exp

from pandjango.pandadb.schema import schema_indexes
from pandjango.pandadb.tables import TABLE_SCHEMA, qualified_name
from pandjango.rawsql import definition, hints, jobsql, registry, running, template

NAMES = (
    "autopilot.queue_pilot_counts",
    "production.failed_jobs_by",
    "production.failed_jobs_by_code",
    "production.jobs_summary",
    "stats.jobs",
    "stats.jobs_timeseries",
    "stats.pilots_timeseries",
    "stats.sites",
)
DIALECTS = {"oracle": "oracle", "mysql": "mysql", "postgresql": "postgres", "sqlite": "sqlite"}
HOSTILE = ("x' OR '1'='1", "a -- b", "b; DROP TABLE jobsactive4", "c /* d */", "e'); DELETE FROM pilotqueue; --")
INDEX_HINTS = {"INDEX", "INDEX_RS_ASC", "INDEX_FFS", "INDEX_DESC", "INDEX_SS"}
NOW = timezone.now()
WINDOW = {"date_from": NOW - timedelta(days=5), "date_to": NOW}  # reaches the archive


def _shapes(query: definition.RawQuery) -> Iterator[tuple[str, dict[str, Any]]]:
    """The examples, every optional parameter given, and each choice of each shape parameter."""
    yield "examples", {}
    every: dict[str, Any] = {}
    for p in query.params:
        if p.kind == "str list":
            every[p.name] = ["a", "b"]
        elif p.kind == "int list":
            every[p.name] = [1, 2, 3]
        elif p.kind == "tables":
            every[p.name] = list(p.choices)
    yield "every filter", {**WINDOW, **every}
    for p in query.params:
        if p.kind in ("column", "columns"):
            for choice in p.choices:
                yield f"{p.name}={choice}", {**WINDOW, p.name: [choice] if p.kind == "columns" else choice}


def _differ(query: definition.RawQuery, params: dict[str, Any]) -> bool:
    """The matrix's rows and cols must differ (its view says so)."""
    values = query.prepare(params, examples=True)
    return query.name != "stats.jobs" or values["rows"] != values["cols"]


CASES = [
    pytest.param(q.name, params, id=f"{q.name}-{label}")
    for q in registry.all_queries()
    for label, params in _shapes(q)
    if _differ(q, params)
]


def _oracle_tree(name: str, params: dict[str, Any]) -> tuple[exp.Expression, str, dict[str, Any]]:
    query = registry.get(name)
    values = query.prepare(params, examples=True)
    text = template.render_text(query, "oracle", values)
    tree = sqlglot.parse_one(text, read="oracle", error_level=sqlglot.ErrorLevel.RAISE)
    return tree, text, values


@pytest.fixture
def atlas_schemas(pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("panda.schema_panda", "ATLAS_PANDA")
    pandjango_config("panda.schema_archive", "ATLAS_PANDAARCH")
    pandjango_config("panda.schema_meta", "ATLAS_PANDAMETA")


# ---------------------------------------------------------------------------- the registry


def test_every_section_registers_its_queries() -> None:
    assert tuple(q.name for q in registry.all_queries()) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_query_says_what_it_is_for_and_has_text_for_every_vendor(name: str) -> None:
    query = registry.get(name)
    assert query.purpose and "\n" not in query.purpose
    assert name.startswith(query.section + ".")
    assert query.describe()["vendors"] == list(definition.VENDORS)


def test_an_unknown_query_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="rawsql list"):
        registry.get("production.nothing")


def test_it_refuses_a_text_that_binds_what_is_not_a_parameter() -> None:
    texts = dict.fromkeys(definition.VENDORS, "SELECT COUNT(*) FROM {JOBSACTIVE4} j WHERE j.jobstatus = :status")
    with pytest.raises(ValueError, match=":status, which is not a parameter"):
        registry.register(definition.RawQuery("stats.broken", "stats", "broken", (), texts, "[]"))
    assert "stats.broken" not in registry.REGISTRY


def test_it_refuses_a_text_that_binds_a_shape_parameter() -> None:
    texts = dict.fromkeys(definition.VENDORS, "SELECT COUNT(*) FROM {JOBSACTIVE4} j WHERE j.jobstatus = :by")
    by = definition.Param("by", "column", "a column", choices={"jobstatus": "jobstatus"})
    with pytest.raises(ValueError) as caught:
        registry.register(definition.RawQuery("stats.shaped", "stats", "shaped", (by,), texts, "[]"))
    assert str(caught.value) == "stats.shaped: :by is a column parameter, which is never bound"
    assert "stats.shaped" not in registry.REGISTRY


def test_it_refuses_a_query_without_text_for_a_vendor() -> None:
    with pytest.raises(ValueError, match="no text for mysql, postgresql, sqlite"):
        registry.register(definition.RawQuery("stats.partial", "stats", "partial", (), {"oracle": "SELECT 1 FROM DUAL"}, "[]"))


def test_unknown_and_missing_parameters_are_refused() -> None:
    with pytest.raises(TypeError, match="unknown parameter hours"):
        running.run("production.jobs_summary", hours=12, groupby=["jobstatus"])
    with pytest.raises(TypeError, match="date_from is required"):
        running.run("production.jobs_summary", groupby=["jobstatus"])


@pytest.mark.parametrize(
    ("param", "value"),
    [("groupby", ["jobstatus; DROP TABLE jobsactive4"]), ("groupby", ["produserid"]), ("tables", ["jobsactive4"]), ("jeditaskid", ["1 OR 1=1"])],
)
def test_a_shape_parameter_outside_its_whitelist_is_refused(param: str, value: Any) -> None:
    with pytest.raises(ValueError):
        registry.render("production.jobs_summary", "oracle", **{"groupby": ["jobstatus"], param: value})


def test_a_list_longer_than_oracle_takes_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 1000"):
        registry.render("production.jobs_summary", "oracle", jeditaskid=list(range(1001)))


# ---------------------------------------------------------------------------- the Oracle text


@pytest.mark.parametrize(("name", "params"), CASES)
def test_the_oracle_text_parses_with_its_hint_on_an_index_of_the_schema(name: str, params: dict[str, Any]) -> None:
    tree, text, _ = _oracle_tree(name, params)
    indexes = {table: {index for index, _ in found} for table, found in schema_indexes().items()}
    hints = [(select, hint) for select in tree.find_all(exp.Select) if (found := select.args.get("hint")) for hint in found.expressions]
    assert any(hint.name.upper() in INDEX_HINTS for _, hint in hints), f"no index hint in\n{text}"
    for select, hint in hints:
        assert hint.name.upper() in INDEX_HINTS | {"FULL"}, hint.sql("oracle")
        alias, *named = [e.name for e in hint.expressions]
        table = select.args["from_"].this
        assert table.alias == alias, f"{hint.sql('oracle')} names no table of its SELECT"
        if hint.name.upper() in INDEX_HINTS:
            assert named and named[0] in indexes[table.name], f"{named} is not an index of {table.name}"


@pytest.mark.parametrize(("name", "params"), CASES)
def test_every_oracle_bind_is_supplied_by_the_parameters(name: str, params: dict[str, Any]) -> None:
    tree, text, values = _oracle_tree(name, params)
    placeholders = {p.name for p in tree.find_all(exp.Placeholder)}
    supplied = template.binds(registry.get(name), values, text)
    assert placeholders == set(supplied) == set(template.bind_names(text))
    assert "%s" not in text and "?" not in text


@pytest.mark.parametrize(("name", "params"), CASES)
@pytest.mark.parametrize("vendor", ["mysql", "postgresql", "sqlite"])
def test_the_other_vendors_texts_parse_too(name: str, params: dict[str, Any], vendor: str) -> None:
    query = registry.get(name)
    text = template.render_text(query, vendor, query.prepare(params, examples=True))
    sqlglot.parse_one(text, read=DIALECTS[vendor], error_level=sqlglot.ErrorLevel.RAISE)
    assert set(template.bind_names(text)) == set(template.binds(query, query.prepare(params, examples=True), text))


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("vendor", definition.VENDORS)
def test_hostile_values_never_reach_the_text(name: str, vendor: str) -> None:
    query = registry.get(name)
    hostile = {p.name: list(HOSTILE) for p in query.params if p.kind == "str list"}
    assert hostile, f"{name} takes no text values"
    values = query.prepare(hostile, examples=True)
    text = template.render_text(query, vendor, values)
    for value in HOSTILE:
        assert value not in text
    assert "--" not in text and ";" not in text
    bound = template.binds(query, values, text)
    assert {v for k, v in bound.items() if k.rsplit("_", 1)[0] in hostile} == set(HOSTILE)


@pytest.mark.parametrize("name", NAMES)
def test_the_text_depends_on_the_shape_of_the_values_not_on_the_values(name: str) -> None:
    query = registry.get(name)
    lists = [p for p in query.params if p.kind in definition.LIST_KINDS]
    one = {p.name: ["a", "b"] if p.kind == "str list" else [1, 2] for p in lists}
    other = {p.name: ["zz", "yy"] if p.kind == "str list" else [7, 8] for p in lists}
    assert registry.render(name, "oracle", **one) == registry.render(name, "oracle", **other)


@pytest.mark.usefixtures("atlas_schemas")
@pytest.mark.parametrize("name", NAMES)
def test_the_oracle_text_names_the_schemas_of_the_config(name: str) -> None:
    tree, text, _ = _oracle_tree(name, WINDOW)
    expected = {"schema_panda": "ATLAS_PANDA", "schema_archive": "ATLAS_PANDAARCH", "schema_meta": "ATLAS_PANDAMETA"}
    tables = list(tree.find_all(exp.Table))
    assert tables
    for table in tables:
        if table.name.upper() in TABLE_SCHEMA:
            assert table.db == expected[TABLE_SCHEMA[table.name.upper()]], f"{table.sql('oracle')} in\n{text}"


def test_another_config_gives_other_schema_names(pandjango_config: Callable[[str, Any], None]) -> None:
    pandjango_config("panda.schema_panda", "DOMA_PANDA")
    pandjango_config("panda.schema_archive", "DOMA_PANDAARCH")
    text = registry.render("production.jobs_summary", "oracle", **WINDOW)
    assert "DOMA_PANDA.JOBSARCHIVED4" in text and "DOMA_PANDAARCH.JOBSARCHIVED" in text
    assert "ATLAS" not in text
    assert '"doma_panda"."jobsactive4"' in registry.render("production.jobs_summary", "postgresql", **WINDOW)


def test_the_jobs_summary_reads_the_archived_jobs_through_the_ddl_index_that_covers_it() -> None:
    text = registry.render("production.jobs_summary", "oracle", groupby=["computingsite"])
    assert "/*+ INDEX(j JOBSARCH4_COMPSITE_5ATTR_IDX) */" in text


def test_a_task_filter_reads_through_the_task_indexes() -> None:
    text = registry.render("production.jobs_summary", "oracle", **WINDOW, groupby=["jobstatus"], jeditaskid=[42])
    assert "INDEX(j JOBSARC4_JEDITASKID3ATTR_IDX)" in text and "INDEX(j JOBS_JEDITASKID_PANDAID_IDX)" in text


def test_the_archive_is_read_on_its_statechangetime_index() -> None:
    text = registry.render("production.jobs_summary", "oracle", **WINDOW, groupby=["produsername"], tables=["archive"])
    assert "INDEX(j JOBS_STATECHANGETIME_IDX)" in text
    assert "j.statechangetime >= CAST(:date_from AS DATE)" in text and "j.modificationtime" not in text


def test_every_union_leaves_out_the_jobs_a_table_read_before_holds() -> None:
    text = registry.render("production.jobs_summary", "postgresql", **WINDOW, groupby=["jobstatus"])
    archive_branch = text.split(f"{qualified_name('JOBSARCHIVED', 'postgresql')} j")[1]
    for table in ("JOBSARCHIVED4", "JOBSACTIVE4", "JOBSWAITING4", "JOBSDEFINED4"):
        assert f"NOT EXISTS (SELECT 1 FROM {qualified_name(table, 'postgresql')} later WHERE later.pandaid = j.pandaid)" in archive_branch
    archived4_branch = text.split(f"{qualified_name('JOBSARCHIVED4', 'postgresql')} j")[1].split("UNION ALL")[0]
    assert "NOT EXISTS" not in archived4_branch


def test_a_union_that_would_count_a_job_twice_is_refused() -> None:
    texts = {v: "SELECT COUNT(*) AS n FROM (\n{{union tables}}\nSELECT j.pandaid FROM {table} j\n{{end}}\n) s" for v in definition.VENDORS}
    with pytest.raises(ValueError, match="each PandaID counts once"):
        registry.register(definition.RawQuery(
            name="production.twice", section="production", purpose="test", params=(*jobsql.window_params(), jobsql.tables_param()),
            texts=texts, returns="",
        ))


def test_a_mysql_index_hint_names_only_an_index_the_table_has(monkeypatch: pytest.MonkeyPatch) -> None:
    params = {**WINDOW, "tables": ["archived"]}
    monkeypatch.setattr(hints, "_mysql_indexes", None)  # not read: the text shows every hint
    assert "USE INDEX (JOBSARCH4_MTIMEPRODSLABEL_IDX)" in registry.render("stats.sites", "mysql", **params)
    monkeypatch.setattr(hints, "_mysql_indexes", {"JOBSARCHIVED4": {"JOBSARCH4_MTIMEPRODSLABEL_IDX"}})
    assert "USE INDEX (JOBSARCH4_MTIMEPRODSLABEL_IDX)" in registry.render("stats.sites", "mysql", **params)
    monkeypatch.setattr(hints, "_mysql_indexes", {"JOBSARCHIVED4": {"JOBSARCH4_PILOTERRCODE_IDX"}})
    assert "USE INDEX" not in registry.render("stats.sites", "mysql", **params)


def test_the_indexes_of_the_configured_database_are_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connections

    monkeypatch.setattr(hints, "_mysql_indexes", None)
    hints.read_mysql_indexes(connections["panda"])
    found = hints._mysql_indexes
    assert found is not None and "JOBSARCH4_COMPSITE_5ATTR_IDX" in found["JOBSARCHIVED4"]
    hints.read_mysql_indexes(connections["panda"])
    assert hints._mysql_indexes is found


def test_a_list_becomes_numbered_binds() -> None:
    text = registry.render("production.jobs_summary", "oracle", jobstatus=["failed", "finished", "closed"], cloud_not=["US"])
    assert "j.jobstatus IN (:jobstatus_0, :jobstatus_1, :jobstatus_2)" in text
    assert "(j.cloud NOT IN (:cloud_not_0) OR j.cloud IS NULL)" in text
    assert ":computingsite" not in text  # a filter not given leaves no trace


def test_oracle_compares_date_columns_with_binds_cast_to_date() -> None:
    for name in NAMES:
        text = registry.render(name, "oracle")
        assert text.count(":date_") == text.count("CAST(:date_") > 0
        assert re.search(r"CAST\(:date_\w+ AS DATE\)", text)


def test_to_pyformat_leaves_literals_and_comments_alone() -> None:
    text = "SELECT strftime('%s', x), 'a:b', y::date /* :c */ FROM t WHERE z = :d AND w IN (:e_0, :e_1)"
    assert template.to_pyformat(text) == "SELECT strftime('%%s', x), 'a:b', y::date /* :c */ FROM t WHERE z = %(d)s AND w IN (%(e_0)s, %(e_1)s)"
    assert template.bind_names(text) == ["d", "e_0", "e_1"]


# ---------------------------------------------------------------------------- manage.py rawsql


def test_the_command_lists_every_query(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("rawsql", "list")
    out = capsys.readouterr().out
    for name in NAMES:
        assert name in out
    assert "oracle,mysql,postgresql,sqlite" in out


def test_the_command_shows_the_oracle_text_the_dba_will_see(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("rawsql", "show", "production.jobs_summary", "--vendor", "oracle", "--param", "jobstatus=failed,finished")
    out = capsys.readouterr().out
    text = "\n".join(line for line in out.splitlines() if not line.startswith("--"))
    assert text == registry.render("production.jobs_summary", "oracle", jobstatus=["failed", "finished"])
    assert "/*+ INDEX(j JOBSARCH4_COMPSITE_5ATTR_IDX) */" in text and ":jobstatus_1" in text
    assert "--  groupby" in out  # the parameters are listed above the text


def test_the_command_refuses_an_unknown_query_or_parameter() -> None:
    with pytest.raises(CommandError, match="no raw query named"):
        call_command("rawsql", "show", "production.nothing")
    with pytest.raises(CommandError, match="has no parameter hours"):
        call_command("rawsql", "show", "production.jobs_summary", "--param", "hours=3")
    with pytest.raises(CommandError, match="is not one of"):
        call_command("rawsql", "show", "production.jobs_summary", "--param", "groupby=produserid")


def test_the_command_explains_a_query_on_the_configured_database(capsys: pytest.CaptureFixture[str], vendor: str) -> None:
    since = (timezone.now() - timedelta(hours=6)).isoformat()
    call_command("rawsql", "explain", "production.failed_jobs_by_code", "--param", f"date_from={since}", "--param", "tables=archived")
    out = capsys.readouterr().out
    # The plans themselves are checked in test_rawsql_mariadb.py.
    assert {"mysql": "table=j", "sqlite": "SEARCH j USING INDEX JOBSARCH4_", "postgresql": "jobsarchived4 j"}[vendor] in out


# ---------------------------------------------------------------------------- /api/meta/queries/


def test_staff_see_the_registry(get_json: Callable[..., Any], staff_client: Any) -> None:
    body = get_json("/api/meta/queries/", client=staff_client)
    assert [q["name"] for q in body["data"]] == list(NAMES)
    summary = body["data"][NAMES.index("production.jobs_summary")]
    assert summary["section"] == "production" and summary["purpose"]
    assert summary["vendors"] == ["oracle", "mysql", "postgresql", "sqlite"]
    groupby = next(p for p in summary["params"] if p["name"] == "groupby")
    assert groupby["type"] == "columns" and "computingsite" in groupby["choices"]
    assert "text" not in summary
    assert body["meta"]["count"] == len(NAMES)


def test_staff_may_ask_for_one_vendors_text(get_json: Callable[..., Any], staff_client: Any) -> None:
    body = get_json("/api/meta/queries/", client=staff_client, vendor="oracle")
    assert all("/*+ " in q["text"] for q in body["data"])


def test_the_registry_is_not_for_anonymous_users(get_json: Callable[..., Any]) -> None:
    body = get_json("/api/meta/queries/", status=403)
    assert body["error"]["code"] == "forbidden"


def test_the_registry_is_not_for_beta_testers(get_json: Callable[..., Any], beta_client: Any) -> None:
    get_json("/api/meta/queries/", status=403, client=beta_client)


def test_the_registry_refuses_unknown_parameters(get_json: Callable[..., Any], staff_client: Any) -> None:
    get_json("/api/meta/queries/", status=400, client=staff_client, sort="name")
    body = get_json("/api/meta/queries/", status=400, client=staff_client, vendor="db2")
    assert "vendor" in body["error"]["fields"]


def test_times_are_bound_as_the_orm_binds_them_for_the_connection() -> None:
    from django.db import connections

    connection = connections["panda"]
    query = registry.get("production.jobs_summary")
    values = query.prepare({}, examples=True)
    text = template.render_text(query, connection.vendor, values)
    bound = template.binds(query, values, text, connection)
    for name in ("date_from", "date_to"):
        assert bound[name] == connection.ops.adapt_datetimefield_value(values[name])
    assert template.binds(query, values, text)["date_from"] == values["date_from"]  # no connection: as given
