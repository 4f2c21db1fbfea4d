"""A small CNN on Fashion-MNIST, written as plain PyTorch, with noiselab's few lines added (marked).

    python3 train.py --epochs 5                                        # alone: trains and prints accuracy
    noiselab run --command "python3 train.py --epochs 5" --replicates 10   # the paper's four variants

The data: Fashion-MNIST's idx files (Debian's dataset-fashion-mnist installs them in the default --data).
"""
import argparse
import gzip
import os

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import noiselab  # noiselab

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="directory of the four idx .gz files")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--train-subset", type=int, default=None, help="train on the first N training images")
parser.add_argument("--test-subset", type=int, default=None, help="evaluate on the first N test images")
args = parser.parse_args()

noiselab.setup()  # noiselab: seeds, determinism switches, threads
device = noiselab.device("cuda" if torch.cuda.is_available() else "cpu")  # noiselab: the run's device


def read_idx(name, limit):
    with gzip.open(os.path.join(args.data, name)) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    array = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    return array[:limit]


def dataset(split, limit):
    images = read_idx(f"{split}-images-idx3-ubyte.gz", limit)
    labels = read_idx(f"{split}-labels-idx1-ubyte.gz", limit)
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return TensorDataset((x - 0.2860) / 0.3530, torch.from_numpy(labels.astype(np.int64)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3)
        self.conv2 = nn.Conv2d(16, 32, 3)
        self.fc1 = nn.Linear(32 * 5 * 5, 64)
        self.dropout = nn.Dropout(0.25)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = self.dropout(F.relu(self.fc1(torch.flatten(x, 1))))
        return self.fc2(x)


train_set = dataset("train", args.train_subset)
test_set = dataset("t10k", args.test_subset)
train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, **noiselab.loader_kwargs())  # noiselab: shuffle and batch order
test_loader = DataLoader(test_set, batch_size=1000)

model = noiselab.start_training(Net().to(device))  # noiselab: dropout seed, divergence traces
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

for epoch in range(1, args.epochs + 1):
    model.train()
    for x, y in train_loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x.to(device)).cpu() for x, _ in test_loader])
    labels = test_set.tensors[1]
    accuracy = (logits.argmax(1) == labels).float().mean().item()
    print(f"epoch {epoch}: loss {loss.item():.4f}, test accuracy {accuracy:.4f}")
    noiselab.save_predictions(logits, epoch=epoch, labels=labels)  # noiselab

noiselab.save_weights(model)  # noiselab
noiselab.save_metrics(final_loss=loss.item(), test_accuracy=accuracy)  # noiselab
