"""ToTensor, Normalize, Resize (PIL images) and Compose, as torchvision.transforms does them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image


class Compose:
    """Apply transforms one after the other."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        """The image after every transform."""
        for t in self.transforms:
            img = t(img)
        return img


class ToTensor:
    """A PIL image or HxWxC uint8 array -> a CxHxW float32 tensor in [0, 1]."""

    def __call__(self, pic: Any) -> Any:
        """The image as a tensor (uint8 scaled by 1/255, other dtypes kept as they are)."""
        arr = np.array(pic, copy=True)
        if arr.ndim == 2:
            arr = arr[:, :, None]
        arr = np.ascontiguousarray(arr.transpose(2, 0, 1))
        if arr.dtype == np.uint8:
            return torch.from_numpy(arr.astype(np.float32) / np.float32(255))
        return torch.from_numpy(arr)


class Normalize:
    """(tensor - mean) / std per channel of a CxHxW tensor."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean, self.std = list(mean), list(std)

    def __call__(self, tensor: Any) -> Any:
        """The normalized tensor (a new one)."""
        mean = torch.tensor(self.mean, dtype=tensor.dtype).view(-1, 1, 1)
        std = torch.tensor(self.std, dtype=tensor.dtype).view(-1, 1, 1)
        return (tensor - mean) / std


class Resize:
    """Resize a PIL image with bilinear interpolation (what torchvision does for PIL input)."""

    def __init__(self, size: int | Sequence[int], interpolation: Any = None,
                 max_size: int | None = None, antialias: bool = True) -> None:
        self.size = size

    def __call__(self, img: Any) -> Any:
        """The resized image; an int size sets the shorter side, as torchvision."""
        if not isinstance(img, Image.Image):
            raise NotImplementedError("the torchvision stand-in resizes PIL images only")
        w, h = img.size
        if isinstance(self.size, int) or len(self.size) == 1:
            s = self.size if isinstance(self.size, int) else self.size[0]
            short, long = (w, h) if w <= h else (h, w)
            new_short, new_long = s, int(s * long / short)
            new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        else:
            new_h, new_w = self.size
        if (new_w, new_h) == (w, h):
            return img
        return img.resize((new_w, new_h), Image.BILINEAR)
