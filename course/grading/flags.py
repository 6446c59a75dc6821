"""What in a submission's source an instructor should review.

A submission that uses the built-in layer it was asked to write
(`keras.layers.LSTM`, also through aliases, attribute chains, `getattr`,
`importlib` or a Keras lookup by string), imports the course's reference
layers or (for a NumPy assignment) an autodiff library, changes attributes
of imported modules (`np.allclose = ...`), reads the environment, runs
processes, opens files or sockets, or uses `eval`/`exec`/`getattr`-style
dynamic access is still graded, but its status is "flagged" and the
reasons are listed. These are heuristics on the source: they catch the
plain attempts and mark the obfuscated ones (which need dynamic access)
for review; the sandbox, not these rules, is what keeps the grader safe.
"""

import ast
import dataclasses

DYNAMIC_NAMES = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "__import__",
        "getattr",
        "setattr",
        "delattr",
        "globals",
        "vars",
        "open",
        "breakpoint",
    }
)
DUNDER_ATTRIBUTES = frozenset(
    {
        "__dict__",
        "__globals__",
        "__builtins__",
        "__subclasses__",
        "__code__",
        "__closure__",
        "__getattribute__",
        "__setattr__",
    }
)
SUSPICIOUS_MODULES = frozenset(
    {
        "subprocess",
        "ctypes",
        "socket",
        "signal",
        "multiprocessing",
        "importlib",
        "builtins",
        "shutil",
        "inspect",
        "gc",
        "pickle",
        "marshal",
        "resource",
        "pty",
        "psutil",
        "threading",
        "asyncio",
        "urllib",
        "requests",
        "http",
    }
)
GRADER_MODULE = "course.grading"
SUSPICIOUS_ATTRIBUTES = {
    "os": frozenset(
        {
            "environ",
            "environb",
            "getenv",
            "putenv",
            "unsetenv",
            "system",
            "popen",
            "kill",
            "killpg",
            "fork",
            "forkpty",
            "setsid",
            "setpgid",
            "_exit",
            "remove",
            "unlink",
            "rmdir",
            "removedirs",
            "rename",
            "replace",
            "chmod",
            "getppid",
            "chdir",
            "listdir",
            "scandir",
            "walk",
            "open",
            "write",
        }
    ),
    "sys": frozenset(
        {
            "modules",
            "exit",
            "_getframe",
            "settrace",
            "setprofile",
            "addaudithook",
            "stdout",
            "stderr",
            "argv",
        }
    ),
}
SUSPICIOUS_PREFIXES = {"os": ("exec", "spawn", "posix_spawn")}


@dataclasses.dataclass(frozen=True)
class FlagRules:
    """What makes a submission of one assignment suspicious.

    Attributes:
        wrapped: Names of built-in classes the assignment asks students to
            write themselves (e.g. `LSTM`, `LSTMCell`); using one from
            `keras`/`tensorflow` flags the submission.
        forbidden_imports: Top-level modules whose import flags it (always
            `custom_layers`; autodiff libraries for a NumPy assignment).
        reason: Why those are not allowed, appended to the flag.
    """

    wrapped: frozenset = frozenset()
    forbidden_imports: frozenset = frozenset({"custom_layers"})
    reason: str = "the assignment asks for your own implementation"


DEFAULT_RULES = FlagRules()
# Keras's and TensorFlow's recurrent layers and cells: a cell assignment
# flags any of them, not only the one it asks for (an "LSTM" built on
# keras.layers.GRUCell is no more the student's own). The wrappers that hold
# a cell (`RNN`, `Bidirectional`, `StackedRNNCells`) are allowed.
KERAS_RECURRENT = frozenset(
    {
        "SimpleRNN",
        "SimpleRNNCell",
        "LSTM",
        "LSTMCell",
        "LSTMV1",
        "CuDNNLSTM",
        "LSTMBlockCell",
        "GRU",
        "GRUCell",
        "GRUV1",
        "CuDNNGRU",
        "GRUBlockCell",
        "ConvLSTM1D",
        "ConvLSTM2D",
        "ConvLSTM3D",
    }
)
WRAPPER_MODULES = ("keras", "tensorflow", "tf_keras")
# Functions that turn a string into a Keras class: "GRU" + "Cell" would
# dodge the check of `wrapped` names.
KERAS_LOOKUPS = frozenset(
    {"deserialize_keras_object", "get_registered_object", "deserialize"}
)


def find_flags(rules, statements):
    """The review reasons, with their places, for `(cell label, node)`
    top-level statements under the assignment's `FlagRules`."""
    return _Flagger(rules).run(statements)


class _Flagger(ast.NodeVisitor):
    """Collects the review reasons of `find_flags`."""

    def __init__(self, rules):
        self.rules = rules
        self.modules = {}  # local name -> dotted module (or module.attribute)
        self.found = {}  # reason -> location of its first occurrence
        self.label = ""

    def run(self, statements):
        """Reasons, with their places, for `(cell label, node)` statements."""
        for _, statement in statements:  # aliases first: they may be used before
            for node in ast.walk(statement):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        local = alias.asname or alias.name.split(".")[0]
                        self.modules[local] = alias.name if alias.asname else local
                elif (
                    isinstance(node, ast.ImportFrom) and node.module and not node.level
                ):
                    for alias in node.names:
                        self.modules[alias.asname or alias.name] = (
                            f"{node.module}.{alias.name}"
                        )
        self._follow_aliases([statement for _, statement in statements])
        seen = set()
        for label, statement in statements:
            if id(statement) not in seen:
                seen.add(id(statement))
                self.label = label
                self.visit(statement)
        return [f"{reason} ({where})" for reason, where in self.found.items()]

    def _follow_aliases(self, statements):
        """Adds names bound to an imported chain (`L = keras.layers`, then
        `cell = L.LSTMCell`) to `modules`, until no more are found."""
        aliases = [
            (node.targets[0].id, node.value)
            for statement in statements
            for node in ast.walk(statement)
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, (ast.Name, ast.Attribute))
        ]
        changed = True
        while changed:
            changed = False
            for name, value in aliases:
                dotted = self._dotted(value)
                if dotted is not None and name not in self.modules:
                    self.modules[name] = dotted
                    changed = True

    def _flag(self, reason, node):
        line = f"line {node.lineno}"
        self.found.setdefault(reason, f"{self.label}, {line}" if self.label else line)

    def _check_import(self, module, node):
        top = module.split(".")[0]
        if top in self.rules.forbidden_imports:
            self._flag(f"uses {top} ({self.rules.reason})", node)
        elif top in SUSPICIOUS_MODULES:
            self._flag(f"imports {top}", node)
        else:
            self._check_dotted(module, node)

    def visit_Import(self, node):
        for alias in node.names:
            self._check_import(alias.name, node)

    def visit_ImportFrom(self, node):
        if node.module and not node.level:
            self._check_import(node.module, node)
            for alias in node.names:
                if alias.name in DYNAMIC_NAMES:
                    self._flag(f"imports {alias.name}", node)

    def _dotted(self, node):
        """`keras.layers.LSTM` for an attribute chain on an imported name."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name) and node.id in self.modules:
            return ".".join([self.modules[node.id], *reversed(parts)])
        return None

    def _check_dotted(self, dotted, node):
        parts = dotted.split(".")
        if parts[0] in WRAPPER_MODULES and parts[-1] in self.rules.wrapped:
            self._flag(f"uses {dotted} ({self.rules.reason})", node)
        if parts[0] in WRAPPER_MODULES and parts[-1] in KERAS_LOOKUPS:
            self._flag(f"uses {dotted} (looks up a Keras class by name)", node)
        forbidden = [part for part in parts if part in self.rules.forbidden_imports]
        if forbidden:  # custom_layers, also as course.compare.custom_layers
            self._flag(f"uses {forbidden[0]} ({self.rules.reason})", node)
        if dotted == GRADER_MODULE or dotted.startswith(GRADER_MODULE + "."):
            self._flag(f"uses {GRADER_MODULE} (the grader)", node)
        if len(parts) > 1:
            attribute = parts[1]
            if attribute in SUSPICIOUS_ATTRIBUTES.get(
                parts[0], ()
            ) or attribute.startswith(SUSPICIOUS_PREFIXES.get(parts[0], ("\0",))):
                self._flag(f"uses {parts[0]}.{attribute}", node)

    def visit_Attribute(self, node):
        if node.attr in DUNDER_ATTRIBUTES:
            self._flag(f"uses {node.attr}", node)
        dotted = self._dotted(node)
        if dotted is not None:
            self._check_dotted(dotted, node)
        else:
            self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            if node.id in DYNAMIC_NAMES:
                self._flag(f"uses {node.id}", node)
            elif node.id in self.modules and "." in self.modules[node.id]:
                self._check_dotted(self.modules[node.id], node)

    def _check_targets(self, targets, node):
        for target in targets:
            if isinstance(target, (ast.Tuple, ast.List)):
                self._check_targets(target.elts, node)
            elif isinstance(target, ast.Starred):
                self._check_targets([target.value], node)
            elif isinstance(target, (ast.Attribute, ast.Subscript)):
                changed = target if isinstance(target, ast.Attribute) else target.value
                dotted = self._dotted(changed)
                if dotted is not None:
                    self._flag(f"changes {dotted} (patching a module)", node)

    def visit_Assign(self, node):
        self._check_targets(node.targets, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._check_targets([node.target], node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._check_targets([node.target], node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        self._check_targets(node.targets, node)
        self.generic_visit(node)
