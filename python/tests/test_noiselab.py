"""The noiselab package on its own: environment variables in, seeds/switches applied, files out."""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

import noiselab
from noiselab import _settings


def noiselab_env(output_dir, **extra):
    env = {
        "NOISELAB_OUTPUT_DIR": output_dir,
        "NOISELAB_SEED_INIT": "11",
        "NOISELAB_SEED_SHUFFLE": "12",
        "NOISELAB_SEED_AUGMENT": "13",
        "NOISELAB_SEED_DROPOUT": "14",
        "NOISELAB_SEED_BATCH_ORDER": "15",
        "NOISELAB_FREE_SOURCES": "",
        "NOISELAB_DETERMINISTIC_ALGORITHMS": "1",
        "NOISELAB_CUDNN_DETERMINISTIC": "1",
        "NOISELAB_CUDNN_BENCHMARK": "0",
        "NOISELAB_ALLOW_TF32": "0",
        "NOISELAB_DEVICE": "cpu",
        "NOISELAB_THREADS": "1",
    }
    env.update(extra)
    return env


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def without_noiselab():
    return {k: v for k, v in os.environ.items() if not k.startswith("NOISELAB_")}


class Outside(unittest.TestCase):
    """Without noiselab's variables every call leaves the script as it was."""

    def test_every_call_does_nothing(self):
        with tempfile.TemporaryDirectory() as cwd, mock.patch.dict(os.environ, without_noiselab(), clear=True):
            previous = os.getcwd()
            os.chdir(cwd)
            try:
                torch.manual_seed(5)
                state = torch.get_rng_state()
                deterministic = torch.are_deterministic_algorithms_enabled()
                self.assertFalse(noiselab.active())
                noiselab.setup()
                self.assertTrue(torch.equal(state, torch.get_rng_state()), "setup must not reseed")
                self.assertEqual(deterministic, torch.are_deterministic_algorithms_enabled())
                self.assertEqual(noiselab.loader_kwargs(), {})
                self.assertEqual(noiselab.device("cpu"), torch.device("cpu"))
                self.assertIsNone(noiselab.generator("shuffle"))
                model = torch.nn.Linear(2, 2)
                state = torch.get_rng_state()
                self.assertIs(noiselab.start_training(model), model)
                self.assertTrue(torch.equal(state, torch.get_rng_state()), "start_training must not reseed")
                noiselab.save_predictions(torch.zeros(3, 2), epoch=1, labels=torch.zeros(3))
                noiselab.save_weights(model)
                noiselab.save_metrics(loss=1.0)
                self.assertEqual(os.listdir(cwd), [])
            finally:
                os.chdir(previous)


class Inside(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.saved = (torch.are_deterministic_algorithms_enabled(), torch.get_num_threads())
        self.addCleanup(lambda: (torch.use_deterministic_algorithms(self.saved[0]), torch.set_num_threads(self.saved[1])))

    def env(self, **extra):
        return mock.patch.dict(os.environ, noiselab_env(self.dir.name, **extra), clear=False)

    def test_settings_are_read_from_the_environment(self):
        s = _settings.read(noiselab_env("/out", NOISELAB_FREE_SOURCES="init,batchOrder", NOISELAB_TRACE_DIR="/t", NOISELAB_TRACE_DUMP="2:5"))
        self.assertEqual(s.seeds, {"init": 11, "shuffle": 12, "augment": 13, "dropout": 14, "batchOrder": 15})
        self.assertEqual(s.free, ("init", "batchOrder"))
        self.assertEqual((s.trace.dir, s.trace.steps, s.trace.dump), ("/t", 10, (2, 5)))
        self.assertIsNone(_settings.read({}))

    def test_setup_seeds_init_and_applies_switches(self):
        with self.env():
            noiselab.setup()
            a = torch.nn.Linear(4, 3).weight.detach().clone()
            self.assertTrue(torch.are_deterministic_algorithms_enabled())
            self.assertEqual(torch.get_num_threads(), 1)
            self.assertFalse(torch.backends.cudnn.benchmark)
            noiselab.setup()
            b = torch.nn.Linear(4, 3).weight.detach().clone()
        self.assertTrue(torch.equal(a, b), "the same init seed gives the same weights")
        torch.manual_seed(11)
        self.assertTrue(torch.equal(a, torch.nn.Linear(4, 3).weight.detach()), "init draws from torch.manual_seed(NOISELAB_SEED_INIT)")

    def test_start_training_seeds_dropout_separately(self):
        with self.env():
            noiselab.start_training(torch.nn.Linear(1, 1))
            mask = torch.nn.functional.dropout(torch.ones(64), 0.5)
        torch.manual_seed(14)
        self.assertTrue(torch.equal(mask, torch.nn.functional.dropout(torch.ones(64), 0.5)))

    def batches(self, **extra):
        data = TensorDataset(torch.arange(20))
        with self.env(**extra):
            loader = DataLoader(data, batch_size=5, shuffle=True, **noiselab.loader_kwargs())
            return [b[0].tolist() for b in loader]

    def test_shuffle_follows_its_seed_and_batch_order_permutes_inside_batches(self):
        fixed = self.batches()
        self.assertEqual(fixed, self.batches(), "the shuffle generator is seeded")
        self.assertNotEqual(fixed, self.batches(NOISELAB_SEED_SHUFFLE="99"))
        permuted = self.batches(NOISELAB_FREE_SOURCES="batchOrder")
        self.assertEqual([sorted(b) for b in permuted], [sorted(b) for b in fixed], "the same examples in each batch")
        self.assertNotEqual(permuted, fixed, "in another order")

    def test_outputs_are_written_in_the_format_noiselab_reads(self):
        with self.env():
            logits = torch.tensor([[2.0, 0.0], [0.0, 3.0], [1.0, 1.0]])
            noiselab.save_predictions(logits, epoch=3, labels=[0, 1, 1])
            noiselab.save_predictions(torch.tensor([0, 1, 0]), epoch=4)
            model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
            noiselab.save_weights(model)
            noiselab.save_metrics({"loss": 0.25}, steps=7)
            with self.assertRaises(ValueError):
                noiselab.save_predictions(logits, epoch=0)
        out = self.dir.name
        probabilities = np.load(os.path.join(out, "predictions-e3.npy"))
        self.assertEqual(probabilities.dtype, np.float32)
        np.testing.assert_allclose(probabilities, torch.softmax(logits, 1).numpy(), rtol=1e-6)
        self.assertEqual(np.load(os.path.join(out, "predictions-e4.npy")).tolist(), [0, 1, 0])
        self.assertEqual(np.load(os.path.join(out, "labels.npy")).tolist(), [0, 1, 1])
        self.assertEqual(json.loads(read(os.path.join(out, "metrics.json"))), {"loss": 0.25, "steps": 7})
        with open(os.path.join(out, "weights.safetensors"), "rb") as f:
            data = f.read()
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8 : 8 + length])
        state = model.state_dict()
        self.assertEqual(sorted(header), sorted(state))
        body = data[8 + length :]
        for name, entry in header.items():
            begin, end = entry["data_offsets"]
            self.assertEqual(entry["shape"], list(state[name].shape))
            self.assertEqual(body[begin:end], state[name].numpy().tobytes(), name)
        self.assertEqual(header["1.num_batches_tracked"]["dtype"], "I64")


TRACED_SCRIPT = """
import torch, noiselab
from torch.utils.data import DataLoader, TensorDataset
noiselab.setup()
data = TensorDataset(torch.randn(64, 6), torch.randint(0, 3, (64,)))
loader = DataLoader(data, batch_size=16, shuffle=True, **noiselab.loader_kwargs())
model = noiselab.start_training(torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(10):
    for x, y in loader:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
print("finished all epochs")
"""


class Trace(unittest.TestCase):
    def run_traced(self, trace_dir, **extra):
        env = {**os.environ, **noiselab_env(os.path.join(trace_dir, "out"), NOISELAB_TRACE_DIR=trace_dir, NOISELAB_TRACE_STEPS="3", **extra)}
        return subprocess.run([sys.executable, "-c", TRACED_SCRIPT], env=env, capture_output=True, text=True, timeout=120)

    def test_hooks_hash_outputs_and_gradients_per_step_and_stop_the_script(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            first, second = self.run_traced(a), self.run_traced(b)
            self.assertEqual((first.returncode, second.returncode), (0, 0), first.stderr)
            self.assertNotIn("finished all epochs", first.stdout, "the script stops after the traced steps")
            steps = [json.loads(line) for line in read(os.path.join(a, "trace.jsonl")).splitlines()]
            self.assertEqual([s["step"] for s in steps], [0, 1, 2])
            names = [tuple(e[:3]) for e in steps[0]["entries"]]
            self.assertEqual(names[:4], [("forward", "0", "output"), ("forward", "1", "output"), ("forward", "2", "output"), ("forward", "", "output")])
            self.assertIn(("backward", "0", "grad of 0.weight"), names)
            self.assertEqual(len(names), 8)
            self.assertEqual(read(os.path.join(a, "trace.jsonl")), read(os.path.join(b, "trace.jsonl")), "same seeds, same trace")

    def test_dump_saves_one_traced_tensor(self):
        with tempfile.TemporaryDirectory() as a:
            result = self.run_traced(a, NOISELAB_TRACE_DUMP="1:0")
            self.assertEqual(result.returncode, 0, result.stderr)
            dumped = np.load(os.path.join(a, "dump.npy"))
            self.assertEqual(dumped.shape, (16, 8))
            self.assertEqual(dumped.dtype, np.float64)


if __name__ == "__main__":
    unittest.main()
