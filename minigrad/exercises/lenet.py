"""The last exercise's answer key: the training loop of demos/train_lenet.py (Adam on the
cross-entropy, then the test accuracy after each epoch), here so the package holds it."""

from __future__ import annotations

from minigrad import data, nn, no_grad, optim


def train(model: nn.Module, train_set: data.Dataset, test_set: data.Dataset, epochs: int = 6,
          lr: float = 0.003, batch_size: int = 16) -> list[float]:
    """Train ``model`` with Adam on the cross-entropy loss, one pass over ``train_set`` per
    epoch (shuffled); return the accuracy on ``test_set`` after each epoch (in eval mode, under
    no_grad: the fraction of images whose highest score is their digit)."""
    opt = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    accuracies = []
    for epoch in range(epochs):
        for x, y in data.DataLoader(train_set, batch_size=batch_size, shuffle=True, seed=epoch):
            opt.zero_grad()               # forget the last batch's gradients
            loss = loss_fn(model(x), y)   # forward: records the graph
            loss.backward()               # backward: d loss / d every parameter
            opt.step()                    # each parameter moves against its gradient
        model.eval()
        correct = 0
        with no_grad():
            for x, y in data.DataLoader(test_set, batch_size=512):
                correct += (model(x).argmax(dim=1) == y).sum().item()
        model.train()
        accuracies.append(correct / len(test_set))
    return accuracies
