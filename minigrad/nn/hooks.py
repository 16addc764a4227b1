"""Module hooks, as torch.nn's: forward pre-hooks, forward hooks and full backward hooks.

``Module.__call__`` comes here only when some hook is registered (on the module, or globally
for every module); otherwise it calls ``forward`` directly. Forward hooks are plain calls
around ``forward``. Full backward hooks need the gradients of all of a module's inputs (and
outputs) at once: each tensor passes through its own identity node (``_Tap``), all of them
feed one shared node (``_Gate``), and the engine reaches that node only after all of them, so
the hook sees every gradient together and may replace them.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from minigrad.autograd import Function, make_tensor
from minigrad.extras.hooks import RemovableHandle
from minigrad.runtime.grad_mode import is_grad_enabled
from minigrad.tensor import Tensor

if TYPE_CHECKING:
    from minigrad.nn.module import Module

# Hooks every module calls before its own ones (torch.nn.modules.module's globals): for
# debugging and profiling. A module's own hooks live in dicts on the module (Module.__init__).
global_forward_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
global_forward_hooks: OrderedDict[int, Callable] = OrderedDict()
global_forward_hooks_with_kwargs: dict[int, bool] = {}
global_forward_hooks_always_called: dict[int, bool] = {}
global_backward_pre_hooks: OrderedDict[int, Callable] = OrderedDict()
global_backward_hooks: OrderedDict[int, Callable] = OrderedDict()


class Handle(RemovableHandle):
    """What registering a module hook returns: ``handle.remove()``, or ``with handle:``."""

    def __init__(self, hooks: dict[int, Callable], *flags: dict[int, bool]) -> None:
        super().__init__(hooks)
        self._flags = flags  # the hook's options, keyed by the same id

    def remove(self) -> None:
        """Remove the hook (no error if it is gone already)."""
        super().remove()
        for flags in self._flags:
            flags.pop(self.id, None)

    def __enter__(self) -> Handle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def register(hooks: OrderedDict[int, Callable], hook: Callable, prepend: bool = False,
              flags: tuple[tuple[dict[int, bool], bool], ...] = ()) -> Handle:
    """Add ``hook`` to ``hooks`` (first with ``prepend``); each option that is on goes into
    its own dict under the hook's id."""
    handle = Handle(hooks, *(store for store, _ in flags))
    hooks[handle.id] = hook
    for store, on in flags:
        if on:
            store[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_module_forward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """A forward pre-hook ``hook(module, args)`` that every module calls, before its own."""
    return register(global_forward_pre_hooks, hook)


def register_module_forward_hook(hook: Callable[..., Any], *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """A forward hook ``hook(module, args, output)`` that every module calls, before its own."""
    return register(global_forward_hooks, hook, flags=(
        (global_forward_hooks_with_kwargs, with_kwargs),
        (global_forward_hooks_always_called, always_call)))


def register_module_full_backward_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """A backward pre-hook ``hook(module, grad_output)`` that every module calls first."""
    return register(global_backward_pre_hooks, hook)


def register_module_full_backward_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """A backward hook ``hook(module, grad_input, grad_output)`` every module calls first."""
    return register(global_backward_hooks, hook)


class _Basket:
    """The gradients of a module's tensor inputs (or outputs), gathered by their taps."""

    def __init__(self, callback: Callable[[tuple], tuple], zeros: bool) -> None:
        self.callback = callback  # called with all the gradients; returns the ones to pass on
        self.zeros = zeros  # a gradient that did not arrive is zeros (else None), as torch's
        self.arrived: dict[int, Tensor] = {}


class _Gate(Function):
    """Where the gradients of a module's tensor inputs (or outputs) meet.

    A full backward hook sees the gradients of all of them at once (torch's
    BackwardHookFunction: one node with several outputs). A Function here has one output, so
    each tensor passes through its own ``_Tap``, whose backward drops its gradient into the
    basket; every tap also reads the gate's dummy output, so the backward walk comes to the
    gate after all the taps. The gate hands the basket to the hook and passes on what it
    returns, as the gradients of the tensors.
    """

    def forward(self, *arrays: Any, basket: _Basket) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        self.basket = basket
        return self.xp.zeros((), dtype=arrays[0].dtype)

    def backward(self, grad: Tensor) -> tuple[Tensor | None, ...]:
        arrived, zeros = self.basket.arrived, self.basket.zeros
        grads = tuple(arrived.pop(i, t.new_zeros(t.shape) if zeros else None)
                      for i, t in enumerate(self.inputs))
        arrived.clear()
        return self.basket.callback(grads)


class _Tap(Function):
    """Identity (a view) on one tensor; its gradient goes into a ``_Gate``'s basket."""

    def forward(self, x: Any, token: Any = None, *, basket: _Basket, index: int) -> Any:
        self.save_for_backward()  # (backward reads no input's values)
        if token is None:  # replayed on the base: the view was changed in place (as torch)
            raise RuntimeError(
                "Output 0 of BackwardHookFunction is a view and is being modified "
                "inplace. This view was created inside a custom Function (or because an input "
                "was returned as-is) and the autograd logic to handle view+inplace would "
                "override the custom backward associated with the custom Function, leading to "
                "incorrect gradients. This behavior is forbidden. You can fix this by cloning "
                "the output of the custom Function.")
        self.basket, self.index, self.token_dtype = basket, index, token.dtype
        self.view_of_input = True
        return x

    def backward(self, grad: Tensor) -> tuple[None, Tensor]:
        self.basket.arrived[self.index] = grad
        return None, make_tensor(self.xp.zeros((), dtype=self.token_dtype), grad.device)


class BackwardHooks:
    """One call's full backward hooks, as torch.utils.hooks.BackwardHook: the module's tensor
    inputs and outputs pass through taps; the pre-hooks get the outputs' gradients (and may
    replace them), the hooks get the inputs' gradients with those (and may replace them)."""

    def __init__(self, module: Module, hooks: list[Callable], pre_hooks: list[Callable]
                 ) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs: tuple | None = None
        self.n_inputs = self.n_outputs = 0
        self.input_index: list[int] | None = None
        self.output_index: list[int] | None = None

    @staticmethod
    def _tap(values: tuple, callback: Callable[[tuple], tuple], zeros: bool
             ) -> tuple[tuple, list | None]:
        index = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
        if not (index and is_grad_enabled()):
            return values, None
        basket = _Basket(callback, zeros)
        token = _Gate.apply(*(values[i] for i in index), basket=basket)
        tapped = list(values)
        for k, i in enumerate(index):
            tapped[i] = _Tap.apply(values[i], token, basket=basket, index=k)
        return tuple(tapped), index

    @staticmethod
    def _pack(index: list[int], grads: tuple, n: int) -> tuple:
        full: list = [None] * n
        for i, g in zip(index, grads):
            full[i] = g
        return tuple(full)

    @staticmethod
    def _unpack(index: list[int], full: tuple, grads: tuple) -> tuple:
        """The gradients at ``index`` of what the hooks returned, checked as torch checks a
        hook's gradient: a tensor of the same size and type."""
        out = tuple(full[i] for i in index)
        for new, old in zip(out, grads):
            if new is None or old is None or new is old:
                continue
            if not isinstance(new, Tensor):
                raise TypeError(f"expected Variable, but hook returned '{type(new).__name__}'")
            if new.shape != old.shape:
                raise RuntimeError("hook 'hook' has changed the size of value")
            if new.dtype != old.dtype:
                raise RuntimeError(f"hook 'hook' has changed the type of value (was "
                                   f"{old.type()} got {new.type()})")
        return out

    def setup_input_hook(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        args, self.input_index = self._tap(args, self._on_input_grads, zeros=True)
        return args

    def setup_output_hook(self, result: Any) -> Any:
        single = not isinstance(result, tuple)
        values = (result,) if single else result
        self.n_outputs = len(values)
        values, self.output_index = self._tap(values, self._on_output_grads, zeros=False)
        if single:
            return values[0]
        return type(result)(*values) if hasattr(result, "_fields") else values  # namedtuple

    def _on_output_grads(self, grads: tuple) -> tuple:
        """At the outputs (before the module's own backward): the pre-hooks."""
        assert self.output_index is not None
        self.grad_outputs = self._pack(self.output_index, grads, self.n_outputs)
        for hook in self.pre_hooks:
            new = hook(self.module, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(self.grad_outputs):
                raise RuntimeError("Backward pre hook returned an invalid number of "
                                   f"grad_output, got {len(new)}, but expected "
                                   f"{len(self.grad_outputs)}")
            self.grad_outputs = tuple(new)
        grad_outputs = self.grad_outputs
        if self.input_index is None and self.hooks:  # no input requires grad: hooks fire now
            warnings.warn("Full backward hook is firing when gradients are computed with "
                          "respect to module outputs since no inputs require gradients. See "
                          "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                          "#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, grad_inputs, grad_outputs)
                if res is not None and not (isinstance(res, tuple)
                                            and all(g is None for g in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires "
                                       "gradient should always return None or None for all "
                                       "gradients.")
            self.grad_outputs = None
        return self._unpack(self.output_index, grad_outputs, grads)

    def _on_input_grads(self, grads: tuple) -> tuple:
        """At the inputs (after the module's own backward): the hooks."""
        assert self.input_index is not None
        if self.grad_outputs is None:  # the gradient came to the inputs around the outputs
            return grads
        grad_inputs = self._pack(self.input_index, grads, self.n_inputs)
        for hook in self.hooks:
            new = hook(self.module, grad_inputs, self.grad_outputs)
            if new is None:
                continue
            if len(new) != len(grad_inputs):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(new)}, but expected {len(grad_inputs)}")
            grad_inputs = tuple(new)
        self.grad_outputs = None
        return self._unpack(self.input_index, grad_inputs, grads)


def call_with_hooks(module: Module, args: tuple, kwargs: dict) -> Any:
    """``module(...)`` with hooks, in torch's order (``Module._call_impl``): forward
    pre-hooks, backward taps on the inputs, forward, forward hooks, taps on the outputs."""
    result = None
    called: set[int] = set()
    try:
        hooks = [*global_backward_hooks.values(), *module._backward_hooks.values()]
        pre_hooks = [*global_backward_pre_hooks.values(), *module._backward_pre_hooks.values()]
        for hook_id, hook in (*global_forward_pre_hooks.items(),
                              *module._forward_pre_hooks.items()):
            if hook_id in module._forward_pre_hooks_with_kwargs:
                new = hook(module, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple "
                                           f"of (new_args, new_kwargs), but got {new}.")
                    args, kwargs = new
            else:
                new = hook(module, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        backward = BackwardHooks(module, hooks, pre_hooks) if hooks or pre_hooks else None
        if backward is not None:
            args = backward.setup_input_hook(args)
        result = module.forward(*args, **kwargs)
        for hook_id, hook in (*global_forward_hooks.items(), *module._forward_hooks.items()):
            if _always_called(module, hook_id):
                called.add(hook_id)
            new = _call_forward_hook(module, hook_id, hook, args, kwargs, result)
            if new is not None:
                result = new
        if backward is not None:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a "
                              f"Tensor or a tuple of Tensors but received {type(result)}",
                              stacklevel=2)
            result = backward.setup_output_hook(result)
        return result
    except Exception:  # the always_call forward hooks run still, then the error goes on
        for hook_id, hook in (*global_forward_hooks.items(), *module._forward_hooks.items()):
            if hook_id in called or not _always_called(module, hook_id):
                continue
            try:
                new = _call_forward_hook(module, hook_id, hook, args, kwargs, result)
                if new is not None:
                    result = new
            except Exception as e:
                warnings.warn("module forward hook with ``always_call=True`` raised an "
                              "exception that was silenced as another error was raised in "
                              f"forward: {e}", stacklevel=2)
        raise


def _always_called(module: Module, hook_id: int) -> bool:
    """Whether a forward hook (the module's own or a global one) runs even when forward fails."""
    return (hook_id in module._forward_hooks_always_called
            or hook_id in global_forward_hooks_always_called)


def _call_forward_hook(module: Module, hook_id: int, hook: Callable, args: tuple,
                       kwargs: dict, result: Any) -> Any:
    """A forward hook called as it was registered: with the keyword arguments or without."""
    if (hook_id in module._forward_hooks_with_kwargs
            or hook_id in global_forward_hooks_with_kwargs):
        return hook(module, args, kwargs, result)
    return hook(module, args, result)
