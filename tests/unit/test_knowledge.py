"""The resource knowledge base: the shipped files, real synergies, and what the loader refuses."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from matching.knowledge import Knowledge, KnowledgeError, Rule

from shared.nomenclatures import waste_codes

FAMILIES = {
    "paper_cardboard",
    "wood",
    "green_waste",
    "biowaste_food",
    "plastics",
    "metals",
    "minerals_inert",
    "glass",
    "textiles",
    "chemicals_solvents",
    "oils_fats",
    "energy_heat",
    "water",
    "packaging_reuse",
    "equipment",
    "services",
    "skills_staff",
}
FRENCH_WORDS = {"le", "la", "les", "un", "une", "des", "du", "de", "d", "l", "et", "en", "au", "aux", "à"}


@pytest.fixture(scope="module")
def kb() -> Knowledge:
    return Knowledge.load()


def source_family(kb: Knowledge, rule: Rule) -> str:
    if rule.source.startswith("family:"):
        return rule.source.removeprefix("family:")
    return kb.nodes[rule.source].family  # type: ignore[return-value]


def rule(kb: Knowledge, source: str, target: str) -> Rule:
    found = [r for r in kb.rules_from(source) if r.target == target]
    assert found, f"no rule {source} → {target}"
    return max(found, key=lambda r: r.strength)


def folded(text: str) -> str:
    """Lower case, no accents, singular words: close enough to how the engine reads a title."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join(w[:-1] if len(w) > 3 and w[-1] in "sx" else w for w in re.findall(r"[a-z0-9]+", plain))


# -- the shipped files ---------------------------------------------------------------------
def test_the_shipped_files_load_and_are_large_enough(kb: Knowledge) -> None:
    kinds = Counter(node.kind for node in kb.nodes.values())
    assert set(kb.families) == FAMILIES
    assert kinds["resource"] >= 120 and kinds["use"] >= 40
    assert len(kb.conditions) >= 15
    assert len(kb.rules) >= 150


def test_default_load_is_cached(kb: Knowledge) -> None:
    assert Knowledge.load() is kb


def test_every_family_has_resources_and_rules(kb: Knowledge) -> None:
    resources = Counter(n.family for n in kb.nodes.values() if n.kind == "resource")
    rules = Counter(source_family(kb, r) for r in kb.rules)
    assert {f for f in FAMILIES if resources[f] == 0} == set()
    assert {f for f in FAMILIES if rules[f] == 0} == set()


def test_radii_follow_how_far_each_family_travels(kb: Knowledge) -> None:
    radius = {f.id: f.default_radius_km for f in kb.families.values()}
    assert radius["energy_heat"] <= 5 < radius["water"] <= 10
    assert radius["green_waste"] == radius["biowaste_food"] == radius["minerals_inert"] == 30
    assert radius["paper_cardboard"] == 50 and radius["wood"] == 60
    assert radius["plastics"] >= 100 and radius["metals"] >= 100 and radius["chemicals_solvents"] == 150
    assert kb.radius_km("waste_heat") == radius["energy_heat"]
    assert kb.radius_km("raw_material_recycling") == 30  # a use without family


def test_every_ewc_code_is_official_and_hazard_flags_are_consistent(kb: Knowledge) -> None:
    official = waste_codes()
    for node in kb.nodes.values():
        assert all(code in official for code in node.ewc), node.id
        if node.hazardous:
            assert any(official[code].hazardous for code in node.ewc), node.id
        if node.kind == "use":
            assert node.ewc == () and not node.hazardous
    hazardous = {n.id for n in kb.nodes.values() if n.hazardous}
    assert {"spent_solvent", "used_motor_oil", "lead_acid_batteries", "asbestos_waste", "treated_wood"} <= hazardous


def test_energy_resources_are_heat_cold_or_power_without_waste_code(kb: Knowledge) -> None:
    energy = [n for n in kb.nodes.values() if n.energy]
    assert len(energy) >= 5
    assert all(n.family == "energy_heat" and not n.ewc and n.density_kg_m3 is None for n in energy)


def test_every_resource_and_use_has_synonyms_and_no_two_resources_share_one(kb: Knowledge) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for node in kb.nodes.values():
        assert node.synonyms, node.id
        if node.kind == "resource":
            for phrase in (node.label, *node.synonyms):
                owners[folded(phrase)].add(node.id)
    assert {phrase: ids for phrase, ids in owners.items() if len(ids) > 1} == {}


def test_every_rule_has_a_french_sentence_and_is_no_identity(kb: Knowledge) -> None:
    for r in kb.rules:
        words = set(re.findall(r"\w+", r.why.lower()))
        assert r.why[0].isupper() and r.why.endswith("."), r
        assert ". " not in r.why[:-1], f"one sentence only: {r.why}"
        assert words & FRENCH_WORDS, r.why
        assert r.source != r.target
        assert 0 < r.strength <= 1


def test_no_hazardous_resource_reaches_a_use_that_excludes_it(kb: Knowledge) -> None:
    for node in kb.nodes.values():
        if node.hazardous:
            bad = [r.target for r in kb.rules_from(node.id) if kb.nodes[r.target].excludes_hazardous]
            assert bad == [], node.id
    for use in (
        "animal_feed",
        "animal_bedding",
        "mulching",
        "soil_amendment",
        "irrigation",
        "composting",
        "food_contact_container",
        "methanisation_feedstock",
    ):
        assert kb.nodes[use].excludes_hazardous, use


def test_every_official_ewc_code_resolves_and_no_hazardous_code_reaches_an_excluding_use(kb: Knowledge) -> None:
    """A listing that gives only its List of Waste code is understood, whatever the code; a
    hazardous code (marked *) never resolves to a resource with a rule to a use excluding it."""
    official = waste_codes()
    unresolved = sorted(code for code in official if not kb.nodes_for_ewc(code))
    assert unresolved == [], f"{len(unresolved)} EWC codes resolve to no resource: {', '.join(unresolved)}"
    unsafe = sorted(
        {
            f"{code} ({node.id} → {r.target})"
            for code, waste in official.items()
            if waste.hazardous
            for node in kb.nodes_for_ewc(code)
            for r in kb.rules_from(node.id)
            if kb.nodes[r.target].excludes_hazardous
        }
    )
    assert unsafe == [], f"hazardous EWC codes reach a use that excludes hazardous waste: {', '.join(unsafe)}"


# -- real synergies ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "target", "conditions"),
    [
        ("sawdust", "animal_bedding", {"dry", "untreated"}),
        ("wood_shavings", "animal_bedding", {"dry", "untreated"}),
        ("green_waste_chips", "mulching", set()),
        ("green_waste_chips", "soil_amendment", set()),
        ("green_waste_chips", "biomass_fuel", {"dry"}),
        ("brewers_spent_grain", "animal_feed", set()),
        ("whey", "animal_feed", set()),
        ("whey", "methanisation_feedstock", set()),
        ("glycerine", "methanisation_feedstock", set()),
        ("grease_trap_waste", "methanisation_feedstock", set()),
        ("food_waste", "methanisation_feedstock", set()),
        ("waste_heat", "greenhouse_heating", set()),
        ("waste_heat", "digester_heating", set()),
        ("steam_surplus", "process_heating", set()),
        ("cardboard_scraps", "packing_material", set()),
        ("pe_film", "raw_material_recycling", set()),
        ("concrete_rubble", "backfill", {"inert_clean"}),
        ("glass_cullet", "glass_manufacturing", set()),
        ("glass_cullet", "sandblasting", set()),
        ("household_linen", "wiping_rags", set()),
        ("used_cooking_oil", "biofuel_production", set()),
        ("rainwater", "irrigation", set()),
        ("ibc_containers", "water_storage", {"rinsed"}),
        ("wood_chipper", "green_waste_shredding", set()),
        ("spent_solvent", "solvent_regeneration", set()),
        ("used_motor_oil", "oil_rerefining", set()),
    ],
)
def test_real_synergies_exist(kb: Knowledge, source: str, target: str, conditions: set[str]) -> None:
    found = rule(kb, source, target)
    assert found.strength >= 0.5
    assert conditions <= set(found.conditions)


def test_pallets_are_reused_or_burnt_only_when_untreated(kb: Knowledge) -> None:
    assert rule(kb, "broken_pallets", "refurbishment").strength >= 0.7
    for source in ("pallets", "broken_pallets"):
        assert "untreated" in rule(kb, source, "biomass_fuel").conditions


def test_ibc_goes_to_food_use_only_if_it_held_food(kb: Knowledge) -> None:
    assert "food_grade" in rule(kb, "ibc_containers", "food_contact_container").conditions
    assert "food_grade" not in rule(kb, "ibc_containers", "water_storage").conditions


def test_catering_waste_never_feeds_animals(kb: Knowledge) -> None:
    """EU animal by-products rules: no catering waste, no animal by-products in feed."""
    for source in ("food_waste", "animal_by_products", "used_cooking_oil", "grease_trap_waste"):
        assert all(r.target != "animal_feed" for r in kb.rules_from(source)), source


# -- the query helpers ---------------------------------------------------------------------
def test_rules_from_include_family_rules_and_rules_to_find_sources(kb: Knowledge) -> None:
    from_copper = kb.rules_from("copper_cables")
    assert any(r.source == "family:metals" and r.target == "raw_material_recycling" for r in from_copper)
    assert from_copper[0].source == "copper_cables"  # the node's own rules first
    sources = {r.source for r in kb.rules_to("animal_bedding")}
    assert {"sawdust", "wood_shavings", "straw"} <= sources
    assert kb.rules_from("unknown_node") == []


def test_nodes_for_ewc_accepts_the_usual_spellings(kb: Knowledge) -> None:
    assert kb.nodes_for_ewc("150101")[0].id == "corrugated_cardboard"
    assert [n.id for n in kb.nodes_for_ewc("15 01 01")] == [n.id for n in kb.nodes_for_ewc("150101")]
    assert [n.id for n in kb.nodes_for_ewc("13 02 05*")] == ["used_motor_oil"]
    assert kb.nodes_for_ewc("999999") == []


# -- validation ----------------------------------------------------------------------------
TAXONOMY = """
[families.wood]
label = "Bois"
default_radius_km = 60

[families.chemicals_solvents]
label = "Produits chimiques"
default_radius_km = 150

[[resources]]
id = "sawdust"
family = "wood"
label = "Sciure de bois"
synonyms = ["sciure"]
ewc = ["030105"]

[[resources]]
id = "spent_solvent"
family = "chemicals_solvents"
label = "Solvants usagés"
synonyms = ["solvant"]
ewc = ["140603"]
hazardous = true

[[uses]]
id = "animal_bedding"
label = "Litière animale"
synonyms = ["litière"]
excludes_hazardous = true

[[uses]]
id = "solvent_regeneration"
label = "Solvant à régénérer"
synonyms = ["régénération de solvant"]
"""

CONDITIONS = """
[conditions.dry]
label = "sec"
positive = ["sec"]
negative = ["humide"]
"""

RULES = """
[[rules]]
from = "sawdust"
to = "animal_bedding"
strength = 0.9
conditions = ["dry"]
why = "La sciure sèche fait une litière absorbante."

[[rules]]
from = "spent_solvent"
to = "solvent_regeneration"
strength = 0.9
conditions = []
why = "Les solvants usagés se régénèrent par distillation."
"""


def write(folder: Path, taxonomy: str = TAXONOMY, conditions: str = CONDITIONS, rules: str = RULES) -> Path:
    (folder / "taxonomy.toml").write_text(taxonomy, encoding="utf-8")
    (folder / "conditions.toml").write_text(conditions, encoding="utf-8")
    (folder / "rules.toml").write_text(rules, encoding="utf-8")
    return folder


def extra_rule(source: str, target: str, strength: float = 0.5, why: str = "Une phrase en français.") -> str:
    return f'\n[[rules]]\nfrom = "{source}"\nto = "{target}"\nstrength = {strength}\nconditions = []\nwhy = "{why}"\n'


def test_a_small_valid_base_loads(tmp_path: Path) -> None:
    kb = Knowledge.load(write(tmp_path))
    assert kb.nodes["animal_bedding"].family is None and kb.radius_km("animal_bedding") == 30
    assert kb.radius_km("sawdust") == 60
    assert kb.rules_from("sawdust")[0].conditions == ("dry",)


@pytest.mark.parametrize(
    ("taxonomy", "conditions", "rules", "message"),
    [
        pytest.param(
            TAXONOMY.replace('family = "wood"', 'family = "forest"'),
            CONDITIONS,
            RULES,
            "resource 'sawdust': unknown family 'forest'",
            id="unknown-family",
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES + extra_rule("family:forest", "animal_bedding"),
            "unknown family 'forest' in `from`",
            id="unknown-family-in-rule",
        ),
        pytest.param(
            TAXONOMY + '\n[[uses]]\nid = "sawdust"\nlabel = "Sciure"\n',
            CONDITIONS,
            RULES,
            "use 'sawdust': duplicate id",
            id="duplicate-id",
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES.replace('to = "animal_bedding"', 'to = "animal_feed"'),
            "unknown node 'animal_feed' in `to`",
            id="unknown-target",
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES.replace('from = "sawdust"', 'from = "wood_chips"'),
            "unknown node 'wood_chips' in `from`",
            id="unknown-source",
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES.replace('conditions = ["dry"]', 'conditions = ["wet"]'),
            "unknown condition 'wet'",
            id="unknown-condition",
        ),
        pytest.param(
            TAXONOMY.replace('"030105"', '"999999"'),
            CONDITIONS,
            RULES,
            "EWC code '999999' is not in the official list",
            id="ewc-not-official",
        ),
        pytest.param(
            TAXONOMY.replace('"140603"', '"030105"'),
            CONDITIONS,
            RULES,
            "resource 'spent_solvent': `hazardous = true` needs at least one hazardous EWC code",
            id="hazardous-without-hazardous-code",
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES.replace("strength = 0.9", "strength = 0", 1),
            "strength 0.0 must be in (0, 1]",
            id="strength-zero",
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES.replace("strength = 0.9", "strength = 1.2", 1),
            "strength 1.2 must be in (0, 1]",
            id="strength-above-one",
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES.replace('"La sciure sèche fait une litière absorbante."', '"  "'),
            "(sawdust → animal_bedding): `why` must explain",
            id="empty-why",
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES + extra_rule("spent_solvent", "animal_bedding"),
            "hazardous resource spent_solvent cannot go to use 'animal_bedding'",
            id="hazardous-to-excluded-use",
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES + extra_rule("family:chemicals_solvents", "animal_bedding"),
            "hazardous resource spent_solvent cannot go to use 'animal_bedding'",
            id="hazardous-family-to-excluded-use",
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES + extra_rule("sawdust", "sawdust"),
            "a resource already matches itself",
            id="identity-rule",
        ),
        pytest.param(
            TAXONOMY, CONDITIONS, RULES + extra_rule("sawdust", "animal_bedding"), "duplicate rule", id="duplicate-rule"
        ),
        pytest.param(
            TAXONOMY,
            CONDITIONS,
            RULES.replace('from = "sawdust"', 'from = "animal_bedding"').replace(
                'to = "animal_bedding"', 'to = "solvent_regeneration"'
            ),
            "`from` must be a resource or family:<id>",
            id="rule-from-a-use",
        ),
        pytest.param(
            TAXONOMY.replace('label = "Sciure de bois"', 'lable = "Sciure de bois"'),
            CONDITIONS,
            RULES,
            "resource 'sawdust': unknown key(s) lable",
            id="misspelt-key",
        ),
        pytest.param(
            TAXONOMY, CONDITIONS + "\n[conditions.wet\n", RULES, "conditions.toml: invalid TOML", id="invalid-toml"
        ),
    ],
)
def test_inconsistent_files_are_refused_with_a_precise_message(
    tmp_path: Path, taxonomy: str, conditions: str, rules: str, message: str
) -> None:
    with pytest.raises(KnowledgeError) as raised:
        Knowledge.load(write(tmp_path, taxonomy, conditions, rules))
    assert message in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    write(tmp_path).joinpath("rules.toml").unlink()
    with pytest.raises(KnowledgeError, match=r"rules\.toml: file not found"):
        Knowledge.load(tmp_path)
