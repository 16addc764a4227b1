"""``minigrad.utils.data``: the datasets and loader of ``minigrad.data`` under torch's path,
so ``from torch.utils.data import DataLoader`` becomes ``from minigrad.utils.data import ...``."""

from minigrad.data import DataLoader, Dataset, Subset, TensorDataset, random_split

__all__ = ["DataLoader", "Dataset", "Subset", "TensorDataset", "random_split"]
