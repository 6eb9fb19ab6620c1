"""Reading knowledge-base source: Datalog statements only, never Python.

A kb file is written in pyDatalog's notation::

    + pathway('nsclc.3a', 'nsclc', 'initial')                # a fact
    holds(C, K) <= at_least(K, F, B) & val(C, F, X) & (X >= B)   # a rule

pyDatalog's own loader would ``exec`` the file. Here the text is parsed with
:mod:`ast` (which runs nothing), every statement is checked to be a fact or a
rule made only of predicate names, variables, constants, ``~`` negation and
comparisons, and the result is a list of frozen :class:`Fact` / :class:`Rule`
values that remember their file and line. :mod:`laro_kb.engine.pydatalog` turns those
into engine clauses through the term API. A file holding anything else (an
import, a call, an attribute, an assignment) is refused as a whole.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Union

from ..errors import KBError

# CPython 3.11 before 3.11.8 can raise "SystemError: AST constructor recursion depth mismatch" when threads
# parse at the same time (gh-106905): kbs loaded from several threads parse one at a time.
_PARSE_LOCK = threading.Lock()

Value = Union[str, int, float, bool]
MAX_BODY = 200  # literals in one rule's body (the shipped kb's longest has 5)
COMPARISONS = {ast.GtE: ">=", ast.Gt: ">", ast.LtE: "<=", ast.Lt: "<", ast.Eq: "==", ast.NotEq: "!="}


@dataclass(frozen=True)
class Var:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Const:
    value: Value

    def __str__(self) -> str:
        return repr(self.value)


Term = Union[Var, Const]


@dataclass(frozen=True)
class Atom:
    pred: str
    args: tuple[Term, ...]
    negated: bool = False

    @functools.cached_property  # asked for every goal the tracer solves: worked out once per atom
    def key(self) -> str:
        """``name/arity``, as the engine names predicates."""
        return f"{self.pred}/{len(self.args)}"

    @property
    def terms(self) -> tuple[Term, ...]:
        """The literal's terms (as :attr:`Comparison.terms`): its arguments."""
        return self.args

    def __str__(self) -> str:
        return ("~" if self.negated else "") + f"{self.pred}({', '.join(map(str, self.args))})"


@dataclass(frozen=True)
class Comparison:
    op: str
    left: Term
    right: Term

    @property
    def terms(self) -> tuple[Term, Term]:
        """The literal's terms (as :attr:`Atom.terms`): its two sides."""
        return (self.left, self.right)

    def __str__(self) -> str:
        return f"({self.left} {self.op} {self.right})"


Literal = Union[Atom, Comparison]


@dataclass(frozen=True)
class Fact:
    atom: Atom
    file: str
    line: int

    @property
    def values(self) -> tuple[Value, ...]:
        return tuple(a.value for a in self.atom.args)  # type: ignore[union-attr]


@dataclass(frozen=True)
class Rule:
    head: Atom
    body: tuple[Literal, ...]
    file: str
    line: int

    @property
    def id(self) -> str:
        return f"{Path(self.file).name}:{self.line}"

    def __str__(self) -> str:
        return f"{self.head} <= {' & '.join(map(str, self.body))}"


Statement = Union[Fact, Rule]


def parse_text(text: str, file: str = "<text>") -> list[Statement]:
    """Parse Datalog source text; raise :class:`KBError` on anything else."""
    try:
        with _PARSE_LOCK:
            tree = ast.parse(text, filename=file)
    except SyntaxError as exc:
        raise KBError(f"not Datalog: {exc.msg}", file=file, line=exc.lineno or 0) from None
    except (RecursionError, MemoryError):
        raise KBError(f"not Datalog that can be read: a statement is nested too deeply for the parser (a rule of "
                      f"thousands of literals?); a rule may have at most {MAX_BODY} literals", file=file) from None
    return [_statement(node, file) for node in tree.body]


def parse_file(path: Path) -> list[Statement]:
    """The statements of a kb file. A text parsed before (the same file read again by ``laro-kb check`` and the kb it
    loads, or the unchanged files of a copy of the kb) is not parsed again: its statements are remembered, and given
    this file's name when the text was another file's."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise KBError(f"not UTF-8 text ({exc.reason})", file=str(path)) from None
    file = str(path)
    with _PARSE_LOCK:
        known = _PARSED.pop(text, None)
    if known is None:
        known = (file, tuple(parse_text(text, file)))
    with _PARSE_LOCK:
        _PARSED[text] = known  # the most recently used last
        while len(_PARSED) > MAX_PARSED:
            del _PARSED[next(iter(_PARSED))]
    was, statements = known
    return list(statements) if was == file else [dataclasses.replace(st, file=file) for st in statements]


MAX_PARSED = 400  # file texts whose statements are remembered (the shipped kb has about 80 files)
_PARSED: dict[str, tuple[str, tuple[Statement, ...]]] = {}  # text -> (the file it was parsed from, its statements)


def _statement(node: ast.stmt, file: str) -> Statement:
    line = node.lineno
    if not isinstance(node, ast.Expr):
        kind = type(node).__name__.lower()
        raise KBError(f"only Datalog facts and rules are allowed here, found a Python {kind} statement",
                      file=file, line=line)
    expr = node.value
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.UAdd):
        atom = _atom(expr.operand, file, line)
        for arg in atom.args:
            if isinstance(arg, Var):
                raise KBError(f"a fact must be ground, but {atom} has the variable {arg}", file=file, line=line)
        return Fact(atom, file, line)
    if isinstance(expr, ast.Compare) and len(expr.ops) == 1 and isinstance(expr.ops[0], ast.LtE):
        head = _atom(expr.left, file, line)
        body = tuple(_conjuncts(expr.comparators[0], file, line))
        return Rule(head, body, file, line)
    raise KBError("only Datalog facts ('+ p(a, b)') and rules ('h(X) <= b(X) & c(X)') are allowed here",
                  file=file, line=line)


def _conjuncts(node: ast.expr, file: str, line: int) -> list[Literal]:
    """The literals of a rule body ``a & b & ...``, in order (a loop, not recursion: a body may be long)."""
    out: list[Literal] = []
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd):
            stack += [node.right, node.left]
            continue
        out.append(_literal(node, file, line))
        if len(out) > MAX_BODY:
            raise KBError(f"a rule may have at most {MAX_BODY} literals; split this one into named parts",
                          file=file, line=line)
    return out


def _literal(node: ast.expr, file: str, line: int) -> Literal:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        atom = _atom(node.operand, file, line)
        return Atom(atom.pred, atom.args, negated=True)
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1 or type(node.ops[0]) not in COMPARISONS:
            raise KBError("a comparison must be one of >= > <= < == != between two terms", file=file, line=line)
        return Comparison(COMPARISONS[type(node.ops[0])], _term(node.left, file, line),
                          _term(node.comparators[0], file, line))
    return _atom(node, file, line)


def _atom(node: ast.expr, file: str, line: int) -> Atom:
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)) or node.keywords:
        raise KBError(f"expected a literal such as p(X, 'a'), found {_snippet(node)!r}",
                      file=file, line=getattr(node, "lineno", line))
    name = node.func.id
    if not name[0].islower():
        raise KBError(f"predicate names start with a lower-case letter: {name!r}", file=file, line=node.lineno)
    return Atom(name, tuple(_term(arg, file, node.lineno) for arg in node.args))


def _term(node: ast.expr, file: str, line: int) -> Term:
    if isinstance(node, ast.Name):
        if not (node.id[0].isupper() or node.id[0] == "_"):
            raise KBError(f"{node.id!r} is neither a variable (Capitalised) nor a quoted constant",
                          file=file, line=node.lineno)
        return Var(node.id)
    if isinstance(node, ast.Constant) and type(node.value) in (str, int, float, bool):
        return Const(node.value)
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float)):
        return Const(-node.operand.value)
    raise KBError(f"a term must be a variable or a string/number/boolean constant, found "
                  f"{_snippet(node)!r}", file=file, line=getattr(node, "lineno", line))


def _snippet(node: ast.expr) -> str:
    """The start of an expression's source, for a message (a very deep one is not written out)."""
    try:
        return ast.unparse(node)[:60]
    except RecursionError:
        return "an expression nested too deeply to show"


def strongly_connected(graph: dict[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of ``graph`` (node -> the nodes it reads), each sorted, each after every
    component it reaches: iterative Tarjan (a kb may have long chains), roots and edges in sorted order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    out.append(sorted(comp))
    return out
