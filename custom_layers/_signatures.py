"""The constructor signatures `help()` and `inspect.signature` show.

A cell's `__init__` names its own arguments and passes the rest to its base
class through `**kwargs`; a layer's takes `units, *cell_args` and hands the
cell's arguments on. Both accept every argument of the chain, so their true
signature is the union of the `__init__`s along the class's MRO: the most
derived `__init__`'s arguments keep their kind, the ones reached through
`**kwargs` are keyword-only, and `**kwargs` is left for `keras.layers.Layer`'s
(name, dtype, trainable, ...).
"""

import inspect

_PARAMETER = inspect.Parameter


def constructor_parameters(cls, stop):
    """The arguments `cls(...)` accepts, from `cls.__init__` up to (not
    including) `stop`'s, without `self`, `*args` and `**kwargs`."""
    parameters = {}
    initialisers = [
        klass
        for klass in cls.__mro__[: cls.__mro__.index(stop)]
        if "__init__" in vars(klass)
    ]
    for depth, klass in enumerate(initialisers):
        for parameter in inspect.signature(klass.__init__).parameters.values():
            if parameter.name == "self" or parameter.name in parameters:
                continue
            if parameter.kind in (_PARAMETER.VAR_POSITIONAL, _PARAMETER.VAR_KEYWORD):
                continue
            if depth > 0:
                parameter = parameter.replace(kind=_PARAMETER.KEYWORD_ONLY)
            parameters[parameter.name] = parameter
    return list(parameters.values())


def with_kwargs(*parameter_lists):
    """A signature of the parameters of `parameter_lists` (the first list
    with a name wins; positional ones first) and `**kwargs`."""
    by_name = {}
    for parameters in parameter_lists:
        for parameter in parameters:
            by_name.setdefault(parameter.name, parameter)
    parameters = list(by_name.values())
    positional = [p for p in parameters if p.kind != _PARAMETER.KEYWORD_ONLY]
    keyword_only = [p for p in parameters if p.kind == _PARAMETER.KEYWORD_ONLY]
    kwargs = _PARAMETER("kwargs", _PARAMETER.VAR_KEYWORD)
    return inspect.Signature(positional + keyword_only + [kwargs])


class ClassSignature:
    """A class attribute `__signature__` computed from the class by
    `compute(cls)` on first use. On an instance it is absent, so the
    signature of a layer object stays that of its `__call__`."""

    def __init__(self, compute):
        self.compute = compute
        self.cache = {}

    def __get__(self, instance, owner):
        if instance is not None:
            raise AttributeError("__signature__")
        if owner not in self.cache:
            self.cache[owner] = self.compute(owner)
        return self.cache[owner]
