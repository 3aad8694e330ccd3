"""Reading content/registry/*.yaml into a Registry: the YAML models, every check, the interviewees added.

Each file is validated as a whole phase (every problem located and reported), names and aliases may be claimed by
one entry only (in a language: `aliases: {es: [...]}` and `names: {es: ...}` claim their strings in that language
only, a plain list in every language), `see`/`see_also` must name entries and may not go round in a circle.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, TypeAdapter, ValidatorFunctionWrapHandler, WrapValidator, field_validator
from pydantic.dataclasses import dataclass as model

from ..errors import Location, Problems, display_path
from .book import Interview
from .bookconfig import STRICT, LanguageTag, Slug, Text, not_blank
from .languages import base_language, check_tag
from .registry import FILES, Entry, Kind, Registry, countries, normal_surface
from .schema import validate
from .yamlreader import YamlDoc, load_yaml

# ---- the YAML models ------------------------------------------------------------------------------

EVERY_LANGUAGE = "*"  # in `aliases: {"*": [...], es: [...]}`, the aliases of every language (RFC 4647's wildcard)


def _tag_or_every(value: str) -> str:
    """A field validator: a BCP 47 language tag, or '*' for every language."""
    return value if value == EVERY_LANGUAGE else check_tag(value)


def _by_language(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """A plain list of aliases is every language's ({'*': [...]}, its problems located in the list); a mapping
    lists them by language."""
    if isinstance(value, list):
        return {EVERY_LANGUAGE: _ALIAS_LIST.validate_python(value)}
    if not isinstance(value, dict):
        raise ValueError('expected a list, or lists by language ({"*": [...], es: [...]})')
    return handler(value)


_ALIAS_LIST: TypeAdapter[tuple[str, ...]] = TypeAdapter(tuple[Text, ...])
Name = Annotated[Text, AfterValidator(not_blank)]
# a list (every language) or, per language, a list: `aliases: {"*": [Ivory Coast], es: [Costa de Marfil]}`
Aliases = Annotated[dict[Annotated[str, AfterValidator(_tag_or_every)], tuple[Text, ...]],
                    WrapValidator(_by_language)]
Surface = tuple[str, str | None, tuple[str | int, ...]]  # (string, base language or None: every, where in the item)


@model(frozen=True, config=STRICT, kw_only=True)
class _SpecFields:
    """The fields every registry entry may have, whatever its file (each file adds its id and name)."""

    sort_as: Text | None = None
    aliases: Aliases = Field(default_factory=dict)
    # the entry's name in a book of that language (matched there)
    names: dict[LanguageTag, Name] = Field(default_factory=dict)
    description: Text | None = None
    see: tuple[Text, ...] = ()
    see_also: tuple[Text, ...] = ()
    noindex: bool = False

    _blank = field_validator("name", "sort_as", "description", check_fields=False)(not_blank)


@model(frozen=True, config=STRICT, kw_only=True)
class EntrySpec(_SpecFields):
    """One entry of people.yaml, programmes.yaml or organisations.yaml."""

    id: Slug
    name: Text


@model(frozen=True, config=STRICT, kw_only=True)
class PlaceSpec(_SpecFields):
    """One entry of places.yaml: aliases for a country, or (with an id) a city or region in it."""

    country: Text
    id: Slug | None = None
    name: Text | None = None


# ---- loading and validation -----------------------------------------------------------------------


@dataclasses.dataclass
class _Draft:
    """Entries being assembled, where each came from, and which strings are already claimed."""

    entries: dict[str, Entry]
    where: dict[str, Location]
    refs: list[tuple[str, str, str, Location]]  # (owner key, field, ref, location)
    claimed: dict[str, dict[str | None, str]]  # normal surface -> {language (None: every language): owner key}
    surface_at: dict[tuple[str, str | None, str], Location] = dataclasses.field(default_factory=dict)

    def claim(self, surface: str, language: str | None, key: str) -> str | None:
        """Claim a string for key in a language (None: in every language); the other entry that has it, if any."""
        slots = self.claimed.setdefault(normal_surface(surface), {})
        for lang, owner in slots.items():
            if owner != key and (language is None or lang is None or lang == language):
                return owner
        slots.setdefault(language, key)
        return None


def load_registry(root: Path, interviews: Sequence[Interview], problems: Problems) -> Registry:
    """Load content/registry/*.yaml plus the countries and the interviewees; record every problem found."""
    folder = root / "registry"
    draft = _Draft({e.key: e for e in countries()}, {}, [], {})
    for entry in draft.entries.values():  # their English names (pycountry's translations: check_collisions)
        for surface in entry.surfaces:
            draft.claimed.setdefault(normal_surface(surface), {}).setdefault(entry.name_language, entry.key)
    places = _read_list(folder / "places.yaml", problems)
    if places is not None:
        _add_places(places, draft, problems)
    for filename, kind in FILES:
        doc = _read_list(folder / filename, problems)
        if doc is not None:
            _add_entries(doc, kind, draft, problems)
    _add_interviewees(root, interviews, draft, problems)
    _check_refs(draft, problems)
    ignore_doc = _read_list(folder / "ignore.yaml", problems)
    ignore: tuple[str, ...] = ()
    if ignore_doc is not None:
        ignore = validate(ignore_doc, tuple[Text, ...], problems) or ()
    return Registry.build(draft.entries.values(), ignore, draft.where, draft.surface_at)


def _read_list(path: Path, problems: Problems) -> YamlDoc | None:
    """A registry file's list of entries; None when absent or unreadable (a folder of its name is reported)."""
    if not path.exists():
        return None
    doc = load_yaml(path, display_path(path), problems)
    if doc is None:
        return None
    if not isinstance(doc.data, list):
        problems.error(doc.where(()), "expected a list of entries (each line starting with '- ')")
        return None
    return doc


def _items(doc: YamlDoc) -> list[YamlDoc]:
    """One YamlDoc per list item, so that problems name its fields ('name', not '0.name')."""
    values: list[dict[Any, Location]] = [{} for _ in doc.data]
    keys: list[dict[Any, Location]] = [{} for _ in doc.data]
    for table, split in ((doc.values, values), (doc.keys, keys)):
        for path, loc in table.items():
            if path and isinstance(path[0], int) and path[0] < len(split):
                split[path[0]][path[1:]] = loc
    return [YamlDoc(doc.path, data, v, k) for data, v, k in zip(doc.data, values, keys, strict=True)]


def _add_entries(doc: YamlDoc, kind: Kind, draft: _Draft, problems: Problems) -> None:
    for item in _items(doc):
        spec = validate(item, EntrySpec, problems)
        if spec is None:
            continue
        entry = Entry(kind, spec.id, spec.name.strip(), spec.sort_as, description=spec.description,
                      noindex=spec.noindex)
        if not _claim_key(entry, item, draft, problems):
            continue
        _register(entry, item, spec, draft, problems)


def _add_places(doc: YamlDoc, draft: _Draft, problems: Problems) -> None:
    amended: dict[str, Location] = {}
    for item in _items(doc):
        raw = item.data.get("country") if isinstance(item.data, dict) else None
        if isinstance(raw, bool):
            problems.error(item.where(("country",)), "country: YAML read this code as true/false", str(raw),
                           'put the code in quotes, e.g. country: "NO"')
            continue
        spec = validate(item, PlaceSpec, problems)
        if spec is None:
            continue
        country = draft.entries.get(f"country:{spec.country.strip().lower()}")
        if country is None or country.kind != "country":
            problems.error(item.where(("country",)), "unknown country code (expected ISO 3166 alpha-2, e.g. SN)",
                           spec.country)
            continue
        if spec.id is None:
            if spec.name is not None or spec.see:
                field = "name" if spec.name is not None else "see"
                problems.error(item.where((field,), key=True), f"'{field}' needs an 'id': a country's name "
                               "comes from ISO 3166; give an id to define a city or region")
                continue
            if country.key in amended:
                problems.error(item.where(("country",)), "country listed twice in places.yaml", spec.country,
                               f"first listed at {amended[country.key]}")
                continue
            amended[country.key] = item.where(("country",))
            draft.where.setdefault(country.key, item.where(()))
            kept = _claim_surfaces(country.key, _spec_surfaces(spec, item), item, draft, problems)
            draft.entries[country.key] = _with_surfaces(dataclasses.replace(
                country, sort_as=spec.sort_as or country.sort_as, description=spec.description or country.description,
                noindex=spec.noindex or country.noindex), kept)
            _queue_refs(country.key, "see_also", spec.see_also, item, draft)
            continue
        if spec.name is None:
            problems.error(item.where(("id",), key=True), "a place needs a 'name'", spec.id)
            continue
        entry = Entry("place", spec.id, spec.name.strip(), spec.sort_as, description=spec.description,
                      parent=country.key, noindex=spec.noindex)
        if _claim_key(entry, item, draft, problems):
            _register(entry, item, spec, draft, problems)


def _claim_key(entry: Entry, item: YamlDoc, draft: _Draft, problems: Problems) -> bool:
    if entry.key in draft.entries:
        where = draft.where.get(entry.key)
        hint = f"first defined at {where}" if where else None
        problems.error(item.where(("id",)), "duplicate id", entry.id, hint)
        return False
    return True


def _register(entry: Entry, item: YamlDoc, spec: _SpecFields, draft: _Draft, problems: Problems) -> None:
    _claim_surfaces(entry.key, [(entry.name, None, ("name",))], item, draft, problems)
    kept = _claim_surfaces(entry.key, _spec_surfaces(spec, item), item, draft, problems)
    draft.entries[entry.key] = _with_surfaces(entry, [s for s in kept if s[:2] != (entry.name, None)])
    draft.where[entry.key] = item.where(())
    _queue_refs(entry.key, "see", spec.see, item, draft)
    _queue_refs(entry.key, "see_also", spec.see_also, item, draft)


def _spec_surfaces(spec: _SpecFields, item: YamlDoc) -> list[Surface]:
    """The names and aliases an entry's YAML gives, each with its language (None: every one) and YAML path."""
    found: list[Surface] = [(name, base_language(tag), ("names", tag)) for tag, name in spec.names.items()]
    plain = isinstance(item.data, dict) and isinstance(item.data.get("aliases"), list)
    for tag, aliases in spec.aliases.items():
        language = None if tag == EVERY_LANGUAGE else base_language(tag)
        found += [(alias, language, ("aliases", index) if plain else ("aliases", tag, index))
                  for index, alias in enumerate(aliases)]
    return found


def _with_surfaces(entry: Entry, surfaces: Iterable[Surface]) -> Entry:
    """The entry with the claimed names (language, name) and aliases (every language, or one) added."""
    names, local, aliases = list(entry.names), list(entry.local), list(entry.aliases)
    for surface, language, ypath in surfaces:
        if ypath[0] == "names" and language is not None:
            names.append((language, surface))
        elif language is not None:
            local.append((language, surface))
        else:
            aliases.append(surface)
    return dataclasses.replace(entry, names=tuple(dict.fromkeys(names)), local=tuple(dict.fromkeys(local)),
                               aliases=tuple(dict.fromkeys(aliases)))


def _claim_surfaces(key: str, surfaces: Iterable[Surface], item: YamlDoc, draft: _Draft,
                    problems: Problems) -> list[Surface]:
    """Claim each string for key in its language; a string another entry already has there is an error and is
    dropped. Returns the strings kept (stripped), and records where each was written."""
    kept = []
    for surface, language, ypath in surfaces:
        owner = draft.claim(surface, language, key)
        if owner is not None:
            where = draft.where.get(owner)
            hint = f"{owner} is defined at {where}" if where else f"{owner} is built in"
            field = "alias" if ypath[0] == "aliases" else "name"
            problems.error(item.where(ypath), f"{field} already used by {owner}", surface, hint)
            continue
        draft.surface_at.setdefault((key, language, surface.strip()), item.where(ypath))
        kept.append((surface.strip(), language, ypath))
    return kept


def _queue_refs(key: str, field: str, refs: Iterable[str], item: YamlDoc, draft: _Draft) -> None:
    for index, ref in enumerate(refs):
        draft.refs.append((key, field, ref, item.where((field, index))))


def _check_refs(draft: _Draft, problems: Problems) -> None:
    resolved: dict[tuple[str, str], list[str]] = {}
    see_at: dict[tuple[str, str], tuple[str, Location]] = {}  # (entry, target) -> the `see` ref as written
    lookup = Registry.build(draft.entries.values())
    for key, field, ref, where in draft.refs:
        kind = key.partition(":")[0]
        target = lookup.resolve(ref, kind)
        if target is None:
            problems.error(where, f"{field} names an unknown entry", ref,
                           "write kind:id (person, country, place, programme, organisation) or an id of the same kind")
            continue
        if target.key == key:
            problems.error(where, f"{field} refers to the entry itself", ref)
            continue
        resolved.setdefault((key, field), []).append(target.key)
        if field == "see":
            see_at.setdefault((key, target.key), (ref, where))
    for (key, field), targets in resolved.items():
        entry = draft.entries[key]
        draft.entries[key] = dataclasses.replace(entry, **{field: tuple(dict.fromkeys(targets))})
    for cycle in see_cycles({key: targets for (key, field), targets in resolved.items() if field == "see"}):
        ref, where = see_at[(cycle[0], cycle[1])]
        problems.error(where, "see references go round in a circle: " + " -> ".join(cycle), ref,
                       "a see reference sends the reader to the entry that has the page numbers; end the chain there")


def see_cycles(edges: Mapping[str, Sequence[str]]) -> list[tuple[str, ...]]:
    """One cycle per group of entries whose `see` references lead round in a circle, from its smallest key
    back to it (a -> b -> a); linear in the references, however tangled."""
    cycles = []
    for group in _strong_components(edges):
        if len(group) < 2:
            continue
        start = min(group)
        previous: dict[str, str] = {}
        queue = [start]
        while queue and start not in previous:
            node = queue.pop(0)
            for target in edges.get(node, ()):
                if target in group and target not in previous:
                    previous[target] = node
                    queue.append(target)
        path = [start]
        node = previous[start]
        while node != start:
            path.append(node)
            node = previous[node]
        cycles.append((start, *reversed(path[1:]), start))
    return sorted(cycles)


def _strong_components(edges: Mapping[str, Sequence[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            targets = edges.get(node, ())
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return groups


def _add_interviewees(root: Path, interviews: Sequence[Interview], draft: _Draft, problems: Problems) -> None:
    for interview in interviews:
        key = f"person:{interview.person_id}"
        if key in draft.entries:
            continue
        where = Location(display_path(root / "interviews" / f"{interview.id}.yaml"))
        name = interview.interviewee.name.strip()
        owner = draft.claim(name, None, key)
        if owner is not None:
            problems.error(where, f"interviewee name already used by {owner}", name,
                           f"add '{interview.person_id}' to registry/people.yaml, or mark the other entry")
        draft.entries[key] = Entry("person", interview.person_id, name)
        draft.where[key] = where

