"""Event synthesis for the `corpus` conformance check (see corpus.py and README.md).

For one Sigma rule (read with pySigma, independently of tripline's reader) and the catalog
source tripline maps it to, build events that should match and near misses, from the rule's
own values: its condition tree (pySigma's postprocessed condition: and / or / not over
field = value atoms) is driven towards true or false, each atom gives constraints on its
field, and each field's value is synthesised from its constraints (wildcard strings filled
with awkward text, case changed, numbers written as numeric strings, regexes sampled,
addresses drawn inside and just outside CIDR networks, fields dropped, nulled or emptied).
Every event also carries what the catalog source recognises its records by (e.g. Sysmon:
Channel and EventID), parsed from the source's `recognize` expression.

Nothing here decides a verdict: the reference evaluator (`tripline hunt`) does. The module's
own approximate evaluator (`approx_eval`) only steers the mix of matches and near misses.
"""

from __future__ import annotations

import ipaddress
import json
import random
import re

try:  # Python 3.11+
    import re._parser as sre_parse  # type: ignore
    import re._constants as sre_c  # type: ignore
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore
    import sre_constants as sre_c  # type: ignore

from sigma.conditions import (ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT,
                              ConditionOR, ConditionValueExpression)
from sigma.types import (CompareOperators, SigmaBool, SigmaCasedString, SigmaCIDRExpression,
                         SigmaCompareExpression, SigmaExists, SigmaExpansion, SigmaFieldReference,
                         SigmaNull, SigmaNumber, SigmaRegularExpression, SigmaRegularExpressionFlag,
                         SigmaString, SpecialChars)

MISSING = object()  # a field left out of the event


class Unusable(Exception):
    """The rule has a construct the generator cannot drive (e.g. an unexpanded placeholder)."""


# --------------------------------------------------------------------------------------
# The rule as a formula: ("and"|"or", [nodes]) | ("not", node) | ("atom", Atom)
# --------------------------------------------------------------------------------------


class Atom:
    """One field test. kind: str (wildcard string), num, re, cidr, cmp, exists, null, bool,
    ref (field reference), kw (keyword: some string field contains)."""

    __slots__ = ("field", "kind", "v", "cased", "flags", "op")

    def __init__(self, field, kind, v=None, cased=False, flags=0, op=None):
        self.field, self.kind, self.v, self.cased, self.flags, self.op = field, kind, v, cased, flags, op

    def __repr__(self):
        return f"Atom({self.field}, {self.kind}, {self.v!r})"


def _atoms_of_value(field, v):
    if isinstance(v, SigmaExpansion):
        return ("or", [_atoms_of_value(field, x) for x in v.values])
    if field is None:
        if isinstance(v, SigmaString):
            return ("atom", Atom(None, "kw", v))
        if isinstance(v, SigmaNumber):
            return ("atom", Atom(None, "kw", SigmaString(str(v.number))))
        raise Unusable(f"keyword value {type(v).__name__}")
    if isinstance(v, SigmaString):  # SigmaCasedString included
        if v.contains_placeholder():
            raise Unusable("placeholder")
        return ("atom", Atom(field, "str", v, cased=isinstance(v, SigmaCasedString)))
    if isinstance(v, SigmaNumber):
        return ("atom", Atom(field, "num", v.number))
    if isinstance(v, SigmaBool):
        return ("atom", Atom(field, "bool", v.boolean))
    if isinstance(v, SigmaNull):
        return ("atom", Atom(field, "null"))
    if isinstance(v, SigmaExists):
        return ("atom", Atom(field, "exists", v.exists))
    if isinstance(v, SigmaRegularExpression):
        fl = 0
        for f in v.flags:
            fl |= SigmaRegularExpression.sigma_to_python_flags[f]
        pat = v.regexp.original if isinstance(v.regexp, SigmaString) else str(v.regexp)
        try:
            re.compile(pat, fl)
        except re.error:
            raise Unusable("regex Python cannot compile")
        return ("atom", Atom(field, "re", pat, flags=fl))
    if isinstance(v, SigmaCIDRExpression):
        return ("atom", Atom(field, "cidr", v.network))
    if isinstance(v, SigmaCompareExpression):
        return ("atom", Atom(field, "cmp", v.number.number, op=v.op))
    if isinstance(v, SigmaFieldReference):
        return ("atom", Atom(field, "ref", v.field))
    raise Unusable(type(v).__name__)


def formula(cond):
    """pySigma's postprocessed condition tree as nested tuples."""
    if isinstance(cond, ConditionAND):
        return ("and", [formula(a) for a in cond.args])
    if isinstance(cond, ConditionOR):
        return ("or", [formula(a) for a in cond.args])
    if isinstance(cond, ConditionNOT):
        return ("not", formula(cond.args[0]))
    if isinstance(cond, ConditionFieldEqualsValueExpression):
        return _atoms_of_value(cond.field, cond.value)
    if isinstance(cond, ConditionValueExpression):
        return _atoms_of_value(None, cond.value)
    raise Unusable(type(cond).__name__)


def rule_formula(rule):
    conds = [formula(c.parse()) for c in rule.detection.parsed_condition]
    return conds[0] if len(conds) == 1 else ("or", conds)


def atoms(node, out=None):
    out = [] if out is None else out
    if node[0] == "atom":
        out.append(node[1])
    elif node[0] == "not":
        atoms(node[1], out)
    else:
        for c in node[1]:
            atoms(c, out)
    return out


def placeholder_types(node) -> dict:
    """Field types of a rule compiled for a placeholder source, as tripline's reader types
    them (src/sigma_in: string, `number` when the field is only compared with numbers or with
    lt/lte/gt/gte)."""
    kinds: dict[str, set] = {}
    for a in atoms(node):
        if a.field is None:
            continue
        kinds.setdefault(a.field, set())
        if a.kind not in ("exists", "null"):
            kinds[a.field].add(a.kind)
        if a.kind == "ref":
            kinds.setdefault(a.v, set()).add("ref")
    return {f: ("number" if ks and ks <= {"num", "cmp"} else "string") for f, ks in kinds.items()}


# --------------------------------------------------------------------------------------
# The source's recognize expression (the rule language's syntax, the subset catalogs use)
# --------------------------------------------------------------------------------------

_TOK = re.compile(r'\s*(?:(?P<s>"(?:[^"\\]|\\.)*")|(?P<n>-?\d+(?:\.\d+)?)|(?P<p>==|!=|\(|\)|\[|\]|,)'
                  r'|(?P<w>[A-Za-z_#][A-Za-z0-9_.#@-]*))')


def parse_recognize(text: str):
    """`a == "x" and b in [1, 2] and (c exists or not d exists)` -> the formula shape above,
    with atoms ("eq", f, [values]) | ("exists", f) | ("contains", f, v)."""
    toks, pos = [], 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOK.match(text, pos)
        if not m:
            raise ValueError(f"recognize: cannot read {text[pos:pos + 20]!r}")
        pos = m.end()
        if m.group("s"):
            toks.append(("v", json.loads(m.group("s"))))
        elif m.group("n"):
            n = m.group("n")
            toks.append(("v", float(n) if "." in n else int(n)))
        elif m.group("p"):
            toks.append(("p", m.group("p")))
        else:
            toks.append(("w", m.group("w")))
    i = 0

    def peek():
        return toks[i] if i < len(toks) else (None, None)

    def take():
        nonlocal i
        i += 1
        return toks[i - 1]

    def expr_or():
        xs = [expr_and()]
        while peek() == ("w", "or"):
            take()
            xs.append(expr_and())
        return xs[0] if len(xs) == 1 else ("or", xs)

    def expr_and():
        xs = [expr_not()]
        while peek() == ("w", "and"):
            take()
            xs.append(expr_not())
        return xs[0] if len(xs) == 1 else ("and", xs)

    def expr_not():
        if peek() == ("w", "not"):
            take()
            return ("not", expr_not())
        if peek() == ("p", "("):
            take()
            e = expr_or()
            if take() != ("p", ")"):
                raise ValueError("recognize: ) expected")
            return e
        kind, f = take()
        if kind != "w":
            raise ValueError(f"recognize: field expected, got {f!r}")
        op = take()
        if op == ("p", "=="):
            return ("atom", ("eq", f, [take()[1]]))
        if op == ("p", "!="):
            return ("not", ("atom", ("eq", f, [take()[1]])))
        if op == ("w", "in"):
            if take() != ("p", "["):
                raise ValueError("recognize: [ expected")
            vals = []
            while True:
                vals.append(take()[1])
                t = take()
                if t == ("p", "]"):
                    break
            return ("atom", ("eq", f, vals))
        if op == ("w", "exists"):
            return ("atom", ("exists", f))
        if op == ("w", "missing"):
            return ("not", ("atom", ("exists", f)))
        if op == ("w", "contains"):
            return ("atom", ("contains", f, take()[1]))
        raise ValueError(f"recognize: operator {op[1]!r}")

    e = expr_or()
    if i != len(toks):
        raise ValueError("recognize: trailing input")
    return e


def recognize_assignment(node, rng, out: dict, want=True):
    """Field -> fixed value (MISSING for absent, ("contains", v), ("exists",)) that make
    `node` true (want) or false."""
    kind = node[0]
    if kind == "and":
        if want:
            for c in node[1]:
                recognize_assignment(c, rng, out, True)
        else:
            recognize_assignment(rng.choice(node[1]), rng, out, False)
    elif kind == "or":
        if want:
            recognize_assignment(node[1][0], rng, out, True)  # the first alternative
        else:
            for c in node[1]:
                recognize_assignment(c, rng, out, False)
    elif kind == "not":
        recognize_assignment(node[1], rng, out, not want)
    else:
        a = node[1]
        if a[0] == "eq":
            out[a[1]] = rng.choice(a[2]) if want else MISSING
        elif a[0] == "exists":
            out[a[1]] = ("exists",) if want else MISSING
        elif a[0] == "contains":
            out[a[1]] = ("contains", a[2]) if want else MISSING
    return out


# --------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------

# Text put where a wildcard stands (and around contains needles): characters that LIKE, GLOB,
# KQL string literals, JSON, XML and SQL treat specially, a non-ASCII letter, a newline.
FILLERS = ["", "", "x", " ", "\\", "/", "%", "_", "a_b%c", "*", "?", "'", '"', "É", "ß", ".",
           "\\\\", "<&>", "[x]", "-", "0", "\t", "\n", "İ", "Ω", "\\*"]
SINGLE = ["a", "Z", "9", "_", "%", "\\", ".", "é", "*", "?", " "]


def _filler(rng):
    r = rng.random()
    if r < 0.35:
        return ""
    if r < 0.7:
        return rng.choice(FILLERS)
    return "".join(rng.choice(FILLERS) for _ in range(rng.randint(1, 3)))


def sigma_parts(s: SigmaString):
    """[(literal text | "*" wildcard | "?" wildcard)] with literals merged."""
    hit = _parts_cache.get(id(s))
    if hit is not None and hit[0] is s:
        return hit[1]
    out = _sigma_parts(s)
    _parts_cache[id(s)] = (s, out)
    return out


def _sigma_parts(s: SigmaString):
    out = []
    for p in s.s:
        if p is SpecialChars.WILDCARD_MULTI:
            out.append(("*", None))
        elif p is SpecialChars.WILDCARD_SINGLE:
            out.append(("?", None))
        elif isinstance(p, str):
            if out and out[-1][0] == "lit":
                out[-1] = ("lit", out[-1][1] + p)
            else:
                out.append(("lit", p))
        else:
            raise Unusable("placeholder")
    return out


def fill_string(s: SigmaString, rng) -> str:
    return "".join(t if k == "lit" else (_filler(rng) if k == "*" else rng.choice(SINGLE))
                   for k, t in sigma_parts(s))


def combine_strings(pats: list, rng, extra: list | None = None) -> str:
    """A value matching (ideally) every wildcard pattern in *pats*: an anchored start, the
    floating patterns' fillings (and the *extra* texts, e.g. regex samples), an anchored end."""
    start = end = None
    middle = list(extra or [])
    exact = None
    for p in pats:
        parts = sigma_parts(p)
        if not parts:
            exact = ""
            continue
        a0, a1 = parts[0][0] == "lit", parts[-1][0] == "lit"
        text = fill_string(p, rng)
        if a0 and a1:
            exact = exact if exact is not None else text
        elif a0:
            start = start if start is not None else text
        elif a1:
            end = end if end is not None else text
        else:
            middle.append(text)
    if exact is not None:
        return exact
    rng.shuffle(middle)
    return (start or "") + "".join(middle) + (end or "")


def change_case(v: str, mode: str, rng) -> str:
    if mode == "upper":
        return v.upper()
    if mode == "lower":
        return v.lower()
    if mode == "swap":
        return v.swapcase()
    if mode == "random":
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in v)
    return v


def near_miss_string(s: SigmaString, rng) -> str:
    """A value close to one matching *s* that (usually) does not: a character of the longest
    literal dropped or changed, or a character added at an anchored end."""
    parts = sigma_parts(s)
    lits = [i for i, (k, t) in enumerate(parts) if k == "lit" and t]
    v_parts = [t if k == "lit" else (_filler(rng) if k == "*" else rng.choice(SINGLE)) for k, t in parts]
    if not lits:
        return "zz-" + "".join(v_parts)
    i = max(lits, key=lambda j: len(parts[j][1]))
    t = parts[i][1]
    r = rng.random()
    anchored_start = parts[0][0] == "lit"
    anchored_end = parts[-1][0] == "lit"
    if r < 0.2 and anchored_end:
        v_parts.append(rng.choice(["x", " ", "\\", "0"]))
    elif r < 0.35 and anchored_start:
        v_parts.insert(0, rng.choice(["x", " ", "\\", "0"]))
    else:
        k = rng.randrange(len(t))
        ch = t[k]
        if r < 0.65 or len(t) == 1:
            repl = {"\\": "/", "/": "\\", ".": ",", " ": "_", "-": "_"}.get(ch)
            if repl is None:
                repl = "q" if ch.lower() != "q" else "z"
            t = t[:k] + repl + t[k + 1:]
        else:
            t = t[:k] + t[k + 1:]
        v_parts[i] = t
    return "".join(v_parts)


def sample_regex(pattern: str, flags: int, rng, tries: int = 8) -> str | None:
    """A string that re.search(pattern) accepts, drawn from the pattern's parse tree."""
    try:
        tree = sre_parse.parse(pattern, flags)
        rx = re.compile(pattern, flags)
    except (re.error, RecursionError, OverflowError):
        return None
    for _ in range(tries):
        groups: dict = {}
        try:
            s = _gen(tree, rng, groups, 0)
        except (_GenFail, RecursionError):
            continue
        if rng.random() < 0.3:
            s = rng.choice(["", "x", "\\"]) + s + rng.choice(["", "y", "."])
        if rx.search(s):
            return s
    return None


class _GenFail(Exception):
    pass


_CATS = {
    "CATEGORY_DIGIT": "0123456789", "CATEGORY_NOT_DIGIT": "aZ_ .-\\",
    "CATEGORY_SPACE": " \t", "CATEGORY_NOT_SPACE": "aZ09_\\.",
    "CATEGORY_WORD": "aZ09_", "CATEGORY_NOT_WORD": " .-\\/:",
}


def _gen(items, rng, groups, depth):
    if depth > 40:
        raise _GenFail()
    out = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "NOT_LITERAL":
            out.append("a" if chr(av) != "a" else "b")
        elif name == "ANY":
            out.append(rng.choice("aZ09_. \\"))
        elif name == "IN":
            out.append(_gen_in(av, rng))
        elif name == "BRANCH":
            out.append(_gen(rng.choice(av[1]), rng, groups, depth + 1))
        elif name == "SUBPATTERN":
            gid, _, _, sub = av
            s = _gen(sub, rng, groups, depth + 1)
            if gid:
                groups[gid] = s
            out.append(s)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = av
            hi = lo + 3 if hi == sre_c.MAXREPEAT else min(hi, lo + 3)
            n = rng.randint(lo, max(lo, hi))
            out.append("".join(_gen(sub, rng, groups, depth + 1) for _ in range(n)))
        elif name == "AT":
            pass
        elif name == "GROUPREF":
            out.append(groups.get(av, ""))
        elif name in ("ASSERT", "ASSERT_NOT", "ATOMIC_GROUP"):
            if name == "ATOMIC_GROUP":
                out.append(_gen(av, rng, groups, depth + 1))
        elif name == "CATEGORY":
            out.append(rng.choice(_CATS.get(str(av), "a")))
        else:
            raise _GenFail()
    return "".join(out)


def _gen_in(items, rng):
    neg = any(str(op) == "NEGATE" for op, _ in items)
    chars = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            chars.append(chr(av))
        elif name == "RANGE":
            lo, hi = av
            chars.extend(chr(c) for c in range(lo, min(hi, lo + 40) + 1))
        elif name == "CATEGORY":
            chars.extend(_CATS.get(str(av), "a"))
    if neg:
        pool = [c for c in "aZ09_. \\/-xq" if c not in chars]
        return rng.choice(pool) if pool else "\u00e9"
    if not chars:
        raise _GenFail()
    return rng.choice(chars)


def ip_inside(net, rng, canonical=True) -> str:
    size = net.num_addresses
    off = rng.randrange(size) if size <= 2 ** 32 else rng.randrange(2 ** 32)
    addr = net.network_address + off
    s = str(addr)
    if not canonical:
        if addr.version == 6:
            s = addr.exploded.upper() if rng.random() < 0.5 else s.upper()
        else:
            a, b, c, d = s.split(".")
            s = f"{a}.{b}.{c}.0{d}"
    return s


def ip_outside(net, rng) -> str:
    top = int(net.broadcast_address) + 1
    bottom = int(net.network_address) - 1
    cls = ipaddress.IPv4Address if net.version == 4 else ipaddress.IPv6Address
    maxv = 2 ** 32 - 1 if net.version == 4 else 2 ** 128 - 1
    cands = [x for x in (top, bottom) if 0 <= x <= maxv]
    if not cands:
        return "not-an-address"
    return str(cls(rng.choice(cands)))


def number_repr(n, rng, style=None):
    """The number n as an event value: JSON number or numeric string (also non-canonical)."""
    style = style or rng.choice(["num", "num", "num", "str", "str", "float", "lead0"])
    if style == "num":
        return n
    if style == "str":
        return str(n)
    if style == "float":
        return f"{float(n)}" if rng.random() < 0.5 else float(n)
    if style == "lead0":
        s = str(n)
        return ("-0" + s[1:]) if s.startswith("-") else "0" + s
    return n


def generic_value(ftype: str, rng, field: str = ""):
    if ftype == "number":
        return rng.choice([0, 1, 42, 4624, "7", 65535])
    if ftype == "bool":
        return rng.choice([True, False, "true", "False"])
    if ftype == "ip":
        return rng.choice(["192.0.2.10", "10.1.2.3", "2001:db8::5", "172.16.0.1"])
    if ftype == "json":
        return rng.choice([{"k": "v"}, ["a", "b"], "text", {"n": 1}])
    return rng.choice(["value", "C:\\Windows\\System32\\svchost.exe", "/usr/bin/bash", "admin",
                       "x y", "Some Value"])


# --------------------------------------------------------------------------------------
# Approximate Sigma semantics (only to steer the mix; the evaluator decides)
# --------------------------------------------------------------------------------------


def _lookup(event, name):
    if name in event:
        return event[name], True
    cur = event
    for part in name.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return None, False
    return cur, True


def _text(v):
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return v
    return None


def _num(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", v):
        return float(v)
    return None


_glob_cache: dict = {}


def _glob_matcher(s: SigmaString, cased: bool):
    """A predicate text -> bool for the wildcard string *s* (plain text comparisons for the
    shapes x, *x, x*, *x*; a regex otherwise)."""
    key = (id(s), cased)
    hit = _glob_cache.get(key)
    if hit is not None and hit[0] is s:
        return hit[1]
    parts = sigma_parts(s)
    kinds = [k for k, _ in parts]
    lits = [t for k, t in parts if k == "lit"]
    fold = (lambda x: x) if cased else str.lower
    fn = None
    if "?" not in kinds and len(lits) <= 1:
        lit = fold(lits[0]) if lits else ""
        if kinds == ["lit"]:
            fn = lambda t: fold(t) == lit
        elif kinds == ["*", "lit", "*"]:
            fn = lambda t: lit in fold(t)
        elif kinds == ["*", "lit"]:
            fn = lambda t: fold(t).endswith(lit)
        elif kinds == ["lit", "*"]:
            fn = lambda t: fold(t).startswith(lit)
        elif kinds in (["*"], []):
            fn = (lambda t: True) if kinds else (lambda t: t == "")
    if fn is None:
        body = "".join(re.escape(t) if k == "lit" else (".*" if k == "*" else ".") for k, t in parts)
        rx = re.compile(body, re.S | (0 if cased else re.I))
        fn = lambda t: rx.fullmatch(t) is not None
    _glob_cache[key] = (s, fn)
    return fn


_parts_cache: dict = {}


def atom_true(a: Atom, event: dict, string_fields) -> bool:
    if a.kind == "kw":
        m = _glob_matcher(_kw_pattern(a.v), False)
        for f in string_fields:
            t = _text(_lookup(event, f)[0])
            if t is not None and m(t):
                return True
        return False
    v, found = _lookup(event, a.field)
    t = _text(v)
    if a.kind == "exists":
        return (t is not None or isinstance(v, (dict, list))) == a.v
    if a.kind == "null":
        return t is None and not isinstance(v, (dict, list))
    if t is None:
        return False
    if a.kind == "str":
        return _glob_matcher(a.v, a.cased)(t)
    if a.kind == "num":
        n = _num(v)
        return n is not None and n == a.v or t == str(a.v)
    if a.kind == "bool":
        return t.lower() == ("true" if a.v else "false")
    if a.kind == "re":
        try:
            return re.search(a.v, t, a.flags) is not None
        except re.error:
            return False
    if a.kind == "cidr":
        try:
            return ipaddress.ip_address(t) in a.v
        except ValueError:
            return False
    if a.kind == "cmp":
        n = _num(v)
        if n is None:
            return False
        return {CompareOperators.LT: n < a.v, CompareOperators.LTE: n <= a.v,
                CompareOperators.GT: n > a.v, CompareOperators.GTE: n >= a.v}.get(a.op, n != a.v)
    if a.kind == "ref":
        o = _text(_lookup(event, a.v)[0])
        return o is not None and o.lower() == t.lower()
    return False


def approx_eval(node, event, string_fields) -> bool:
    k = node[0]
    if k == "and":
        return all(approx_eval(c, event, string_fields) for c in node[1])
    if k == "or":
        return any(approx_eval(c, event, string_fields) for c in node[1])
    if k == "not":
        return not approx_eval(node[1], event, string_fields)
    return atom_true(node[1], event, string_fields)


# --------------------------------------------------------------------------------------
# Driving the formula
# --------------------------------------------------------------------------------------


def drive(node, want: bool, rng, out: list, near: float = 0.7):
    """Collect (atom, wanted truth) constraints that make *node* evaluate to *want*."""
    k = node[0]
    if k == "not":
        drive(node[1], not want, rng, out, near)
    elif k == "and":
        if want:
            for c in node[1]:
                drive(c, True, rng, out, near)
        else:
            i = rng.randrange(len(node[1]))
            for j, c in enumerate(node[1]):
                if j == i:
                    drive(c, False, rng, out, near)
                elif rng.random() < near:
                    drive(c, True, rng, out, near)
    elif k == "or":
        if want:
            drive(rng.choice(node[1]), True, rng, out, near)
        else:
            for c in node[1]:
                drive(c, False, rng, out, near)
    else:
        out.append((node[1], want))


class Variation:
    """How one event bends its values: letter case, number spelling, CIDR spelling."""

    def __init__(self, rng):
        self.case = rng.choice(["keep", "keep", "keep", "upper", "lower", "swap", "random"])
        self.numstyle = rng.choice([None, "num", "str", "float", "lead0"])
        self.canonical_ip = rng.random() < 0.85


def synth_field(cons: list, ftype: str, rng, var: Variation, integral: bool = False):
    """A value for one field from its (atom, truth) constraints (MISSING to leave it out)."""
    pos = [a for a, w in cons if w]
    neg = [a for a, w in cons if not w]
    absent_ok = [a for a in pos if a.kind == "null" or (a.kind == "exists" and not a.v)]
    present = [a for a in pos if not (a.kind == "null" or (a.kind == "exists" and not a.v))]
    if absent_ok and (not present or rng.random() < 0.5):
        return rng.choice([MISSING, MISSING, None, ""])
    strs = [a for a in present if a.kind == "str"]
    nums = [a for a in present if a.kind == "num"]
    cmps = [a for a in present if a.kind == "cmp"]
    res = [a for a in present if a.kind == "re"]
    cidrs = [a for a in present if a.kind == "cidr"]
    bools = [a for a in present if a.kind == "bool"]
    style = var.numstyle
    if integral and style in (None, "float"):
        style = rng.choice(["num", "num", "str", "lead0"])
    if nums:
        return number_repr(nums[0].v, rng, style)
    if cmps:
        a = cmps[0]
        base = a.v
        n = {CompareOperators.LT: base - 1, CompareOperators.LTE: base,
             CompareOperators.GT: base + 1, CompareOperators.GTE: base}.get(a.op, base + 1)
        if isinstance(n, float) and n.is_integer():
            n = int(n)
        return number_repr(n, rng, style or "num")
    if cidrs:
        return ip_inside(cidrs[0].v, rng, var.canonical_ip)
    if bools:
        b = bools[0].v
        return rng.choice([b, b, str(b).lower(), str(b)])
    if strs or res:
        best, best_score = None, None
        for _ in range(6 if (res or neg or len(strs) > 1) else 1):
            extra = []
            for a in res:
                r = sample_regex(a.v, a.flags, rng)
                if r is not None:
                    extra.append(r)
            if strs:
                v = combine_strings([a.v for a in strs], rng, extra)
            else:
                v = "".join(extra) if extra else "x"
            if not any(a.cased for a in strs) and not res:
                v = change_case(v, var.case, rng)
            sc = _score(v, cons)
            if best_score is None or sc > best_score:
                best, best_score = v, sc
        return best
    if present:  # exists: true / ref only
        return generic_value(ftype, rng)
    # Only negative constraints: leave the field out, or put a near miss of one of them.
    if not neg or rng.random() < 0.45:
        return MISSING
    a = rng.choice(neg)
    if a.kind == "str":
        v = near_miss_string(a.v, rng)
        return change_case(v, var.case, rng) if not a.cased else v
    if a.kind == "num":
        return number_repr(a.v + rng.choice([1, -1, 10]), rng, style)
    if a.kind == "cmp":
        base = a.v
        n = {CompareOperators.LT: base, CompareOperators.LTE: base + 1,
             CompareOperators.GT: base, CompareOperators.GTE: base - 1}.get(a.op, base)
        return number_repr(n, rng, style or "num")
    if a.kind == "cidr":
        return ip_outside(a.v, rng)
    if a.kind == "re":
        r = sample_regex(a.v, a.flags, rng)
        if r:
            k = rng.randrange(len(r)) if r else 0
            return r[:k] + r[k + 1:]
        return "x"
    if a.kind == "bool":
        return not a.v
    if a.kind in ("exists", "null"):
        return generic_value(ftype, rng) if (a.kind == "null" or not a.v) else MISSING
    return MISSING


def _score(v, cons) -> int:
    e = {"f": v}
    n = 0
    for a, w in cons:
        b = Atom("f", a.kind, a.v, a.cased, a.flags, a.op)
        if a.kind in ("ref", "kw"):
            continue
        n += 1 if atom_true(b, e, ()) == w else 0
    return n


def set_path(event: dict, name: str, value, nest=None):
    """Put *value* at field *name*. Events are flat: a dotted field name is one key (the
    evaluator, the row builder and SQLite all read the exact key first), so no record shape
    of the catalog (e.g. `protoPayload` for GCP LogEntries, `Event.System` for EVTX) applies
    and the fields are exactly what the rules name."""
    event[name] = value


class SourceInfo:
    """What the generator needs of the rule's catalog source."""

    def __init__(self, name: str, fields: dict, recognize: str | None, timestamp: str | None,
                 int_fields: set | None = None):
        self.name = name
        # Number fields stored in integer columns by a target (a fraction is not a value of theirs)
        self.int_fields = set(int_fields or ())
        self.fields = fields  # name -> type
        self.recognize = parse_recognize(recognize) if recognize else None
        self.timestamp = timestamp
        self.string_fields = [f for f, t in fields.items() if t == "string" and f != timestamp]
        self.nest = set()


def make_event(node, src: SourceInfo, want: bool, rng, near: float = 0.7) -> dict:
    cons: list = []
    drive(node, want, rng, cons, near)
    var = Variation(rng)
    by_field: dict[str, list] = {}
    refs = []
    for a, w in cons:
        if a.kind == "kw":
            if w:
                f = rng.choice(src.string_fields) if src.string_fields else None
                if f:
                    by_field.setdefault(f, []).append((Atom(f, "str", _kw_pattern(a.v)), True))
            continue
        if a.kind == "ref":
            refs.append((a, w))
        by_field.setdefault(a.field, []).append((a, w))
    event: dict = {}
    if src.recognize is not None:
        fixed = recognize_assignment(src.recognize, rng, {})
    else:
        fixed = {}
    for f, cs in by_field.items():
        if f in fixed and not (isinstance(fixed[f], tuple) and fixed[f][0] == "exists"):
            continue
        v = synth_field(cs, src.fields.get(f, "string"), rng, var, f in src.int_fields)
        if v is not MISSING:
            set_path(event, f, v, src.nest)
    for a, w in refs:
        o = _lookup(event, a.v)[0]
        mine = _lookup(event, a.field)[0]
        if w and o not in (None, "") and not isinstance(o, (dict, list)):
            set_path(event, a.field, change_case(str(o), var.case, rng) if isinstance(o, str) else o, src.nest)
        elif w and mine not in (None, "") and not isinstance(mine, (dict, list)):
            set_path(event, a.v, mine, src.nest)
        elif w:
            v = generic_value("string", rng)
            set_path(event, a.field, v, src.nest)
            set_path(event, a.v, v, src.nest)
        elif not w and mine is not None and o is not None and rng.random() < 0.5:
            set_path(event, a.v, str(o) + "x", src.nest)
    rec = {}
    for f, v in fixed.items():
        if v is MISSING:
            event.pop(f, None)
            continue
        if isinstance(v, tuple) and v[0] == "exists":
            if _text(_lookup(event, f)[0]) is None:
                rec[f] = generic_value(src.fields.get(f, "string"), rng, f)
            continue
        if isinstance(v, tuple) and v[0] == "contains":
            rec[f] = rng.choice(["", "projects/p/logs/"]) + v[1] + rng.choice(["", "%2Factivity"])
            continue
        if isinstance(v, int) and not isinstance(v, bool) and rng.random() < 0.1:
            v = str(v)  # a numeric string in a recognised number field
        rec[f] = v
    out = {}
    for f, v in rec.items():
        set_path(out, f, v, src.nest)
    for k, v in event.items():
        if k not in out:
            out[k] = v
    return out


_kw_cache: dict = {}


def _kw_pattern(s: SigmaString) -> SigmaString:
    """A keyword as the contains pattern tripline reads it as (`*value*`)."""
    hit = _kw_cache.get(id(s))
    if hit is not None and hit[0] is s:
        return hit[1]
    out = SigmaString("")
    out.s = (SpecialChars.WILDCARD_MULTI,) + tuple(s.s) + (SpecialChars.WILDCARD_MULTI,)
    _kw_cache[id(s)] = (s, out)
    return out


def mutate(event: dict, node, src: SourceInfo, rng) -> dict:
    """A variant of an event: one field the rule names dropped, nulled, emptied, its letter
    case changed, or its number re-spelled. The fields the source recognises its records by
    are never dropped, nulled or emptied (the event must stay a record of the source)."""
    e = json.loads(json.dumps(event))
    fields = sorted({a.field for a in atoms(node) if a.field and _lookup(e, a.field)[1]})
    rec_fields = {a[1] for a in _rec_atoms(src.recognize)} if src.recognize is not None else set()
    if not fields:
        return e
    f = rng.choice(fields)
    v = _lookup(e, f)[0]
    r = rng.random()
    if f not in rec_fields and r < 0.3:
        _drop(e, f)
    elif f not in rec_fields and r < 0.45:
        set_path(e, f, None, src.nest)
    elif f not in rec_fields and r < 0.55:
        set_path(e, f, "", src.nest)
    elif isinstance(v, str):
        set_path(e, f, change_case(v, rng.choice(["upper", "lower", "swap"]), rng), src.nest)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        styles = ["str", "lead0"] if f in src.int_fields or f in rec_fields else ["str", "float", "lead0"]
        set_path(e, f, number_repr(v, rng, rng.choice(styles)), src.nest)
    elif f not in rec_fields:
        _drop(e, f)
    return e


def _drop(e, f):
    e.pop(f, None)


def _rec_atoms(node, out=None):
    out = [] if out is None else out
    if node[0] == "atom":
        out.append(node[1])
    elif node[0] == "not":
        _rec_atoms(node[1], out)
    else:
        for c in node[1]:
            _rec_atoms(c, out)
    return out


def events_for_rule(node, src: SourceInfo, rng, n: int = 18) -> list[dict]:
    """About n distinct events: intended matches, their variants and near misses."""
    out, seen = [], set()
    pos_evs = []

    def add(e):
        k = json.dumps(e, sort_keys=True, ensure_ascii=False)
        if k in seen:
            return False
        seen.add(k)
        out.append(e)
        return True

    attempts = 0
    n_pos = n * 5 // 9
    while len(out) < n_pos and attempts < n * 4:
        attempts += 1
        e = make_event(node, src, True, rng)
        if approx_eval(node, e, src.string_fields) or attempts > n * 2:
            if add(e):
                pos_evs.append(e)
    attempts = 0
    while len(out) < n and attempts < n * 4:
        attempts += 1
        r = rng.random()
        if pos_evs and r < 0.45:
            e = mutate(rng.choice(pos_evs), node, src, rng)
        else:
            e = make_event(node, src, False, rng, near=0.8)
        add(e)
    return out
