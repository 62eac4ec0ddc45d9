"""helpers.training and helpers.model_stats (chapters 05 on)."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from helpers import model_stats, training  # noqa: E402


def _data(n=50):
    gen = np.random.default_rng(1)
    x = gen.integers(0, 256, size=(n, 8, 8), dtype=np.uint8)
    y = (x.reshape(n, -1).mean(axis=1) > 127).astype("int64")
    return x, y


# ------------------------------------------------------------ dataset


def test_dataset_batches_in_order_and_scales():
    x, y = _data(50)
    ds = training.dataset(x, y, batch_size=16,
                          preprocess=training.scale_images)
    batches = list(ds)
    assert [int(b[0].shape[0]) for b in batches] == [16, 16, 16, 2]
    assert batches[0][0].shape == (16, 8, 8, 1)
    assert batches[0][0].dtype == tf.float32
    np.testing.assert_allclose(batches[0][0][..., 0], x[:16] / 255.0,
                               rtol=1e-6)
    assert not ds.options().autotune.enabled
    assert ds.num_examples == 50
    dropped = training.dataset(x, y, batch_size=16, drop_remainder=True)
    assert dropped.num_examples == 48 == sum(len(b[0]) for b in dropped)


def test_dataset_shuffles_examples_not_batches_and_reshuffles():
    x = np.arange(40)
    ds = training.dataset(x, x, batch_size=8, shuffle=True, seed=3)
    first = np.concatenate([b[0].numpy() for b in ds])
    second = np.concatenate([b[0].numpy() for b in ds])
    assert sorted(first) == list(range(40))
    assert not np.array_equal(first, x)          # shuffled
    assert not np.array_equal(first, second)     # a new order each epoch
    # examples are mixed across batches, not whole batches reordered
    first_batch = set(first[:8].tolist())
    assert first_batch not in [set(range(i, i + 8)) for i in range(0, 40, 8)]
    again = training.dataset(x, x, batch_size=8, shuffle=True, seed=3)
    assert np.array_equal(np.concatenate([b[0].numpy() for b in again]),
                          first)


def test_dataset_augment_runs_per_batch_after_batching():
    x, y = _data(20)
    sizes = []

    def augment(a, b):
        sizes.append(a.shape[0])   # traced once with the batch dimension
        return a * 0 + 1, b

    ds = training.dataset(x, y, batch_size=5, augment=augment)
    out = next(iter(ds))[0].numpy()
    assert (out == 1).all()
    assert sizes and sizes[0] in (None, 5)


@pytest.mark.parametrize("kwargs, error, text", [
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 2.5}, TypeError, "batch_size"),
    ({"batch_size": True}, TypeError, "batch_size"),
    ({"augment": 3}, TypeError, "augment"),
    ({"preprocess": "scale"}, TypeError, "preprocess"),
])
def test_dataset_bad_arguments_name_the_argument(kwargs, error, text):
    x, y = _data(10)
    with pytest.raises(error, match=text):
        training.dataset(x, y, **kwargs)


def test_dataset_bad_data():
    x, y = _data(10)
    with pytest.raises(ValueError, match="same length"):
        training.dataset(x, y[:5])
    with pytest.raises(ValueError, match="at least one"):
        training.dataset(x[:0], y[:0])
    with pytest.raises(ValueError, match="needs labels"):
        training.dataset(x, augment=lambda a, b: (a, b))


# ---------------------------------------------------------------- fit


def _model():
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              layers.Conv2D(2, 3, activation="relu"),
                              layers.GlobalAveragePooling2D(),
                              layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(
        from_logits=True), metrics=["accuracy"])
    return model


def test_fit_prints_one_line_per_epoch(capsys):
    x, y = _data(40)
    keras.utils.set_random_seed(1)
    model = training.build(_model)
    ds = training.dataset(x, y, batch_size=8,
                          preprocess=training.scale_images)
    result = training.fit(model, ds, epochs=3, validation=ds)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4                     # a header, then 3 epochs
    assert lines[0].split() == ["epoch", "accuracy", "loss", "val_accuracy",
                                "val_loss", "time", "img/s"]
    assert lines[1].split()[0] == "1/3" and lines[3].split()[0] == "3/3"
    assert lines[1].split()[-2] == "s"
    assert all(len(line) <= 80 for line in lines)
    assert result.images_per_epoch == 40
    import tensorflow as tf
    plain = tf.data.Dataset.from_tensor_slices(
        (x[:24, ..., None] / 255.0, y[:24])).batch(8)
    assert training.fit(model, plain, epochs=1,
                        quiet=True).images_per_epoch == 24
    assert len(result.epoch_seconds) == 3
    assert len(result.history["loss"]) == 3
    assert 0 <= result.last("val_accuracy") <= 1
    assert result.images_per_second > 0
    assert result.seconds == pytest.approx(sum(result.epoch_seconds))
    with pytest.raises(KeyError, match="val_auc"):
        result.last("val_auc")


def test_fit_quiet_prints_nothing(capsys):
    x, y = _data(16)
    ds = training.dataset(x, y, batch_size=8,
                          preprocess=training.scale_images)
    training.fit(_model(), ds, epochs=1, quiet=True)
    assert capsys.readouterr().out == ""


def test_fit_bad_arguments():
    x, y = _data(16)
    ds = training.dataset(x, y, batch_size=8,
                          preprocess=training.scale_images)
    with pytest.raises(ValueError, match="epochs"):
        training.fit(_model(), ds, epochs=0)
    with pytest.raises(TypeError, match="dataset"):
        training.fit(_model(), (x, y), epochs=1)
    bare = keras.Sequential([keras.Input((8, 8, 1)), layers.Flatten(),
                             layers.Dense(2)])
    with pytest.raises(ValueError, match="compile"):
        training.fit(bare, ds, epochs=1)
    with pytest.raises(TypeError, match="make_model"):
        training.build("not a function")


def test_strategy_is_default_on_cpu():
    assert training.strategy() is tf.distribute.get_strategy()


def test_format_metrics_is_stable_and_short():
    header, row = training.format_metrics(
        {"val_loss": 0.5, "accuracy": 0.25, "loss": 1.0,
         "learning_rate": 0.1})
    assert header == "accuracy    loss  val_loss"
    assert row == "  0.2500  1.0000    0.5000"


def test_plot_history_overlays_runs():
    import matplotlib

    matplotlib.use("Agg")
    res = training.FitResult({"loss": [2, 1], "val_loss": [3, 2],
                              "accuracy": [0.1, 0.2]}, [1.0, 1.0], 10)
    fig = training.plot_history({"a": res, "b": res})
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 4   # 2 runs x (train, val)
    assert len(fig.axes[1].lines) == 2   # no val_accuracy
    with pytest.raises(ValueError):
        training.plot_history({})


@pytest.mark.parametrize("epochs", [2, 3, 4, 7, 30])
def test_plot_history_ticks_whole_epochs(epochs):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = training.FitResult({"loss": list(np.linspace(2, 1, epochs)),
                              "accuracy": list(np.linspace(0.1, 0.9, epochs))},
                             [1.0] * epochs, 10)
    fig = training.plot_history(res)
    fig.canvas.draw()
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        shown = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert len(shown) >= 2
        assert all(float(t).is_integer() for t in shown), shown
    plt.close(fig)


# ----------------------------------------------------------- ablation


def test_ablation_table_mean_and_sample_std():
    def run(config, seed):
        return {"acc": config + seed / 10}

    result = training.ablation({"base": 1.0, "wide": 2.0}, run,
                               seeds=[1, 2, 3], verbose=False)
    assert result.configs == ["base", "wide"]
    mean, std = result.mean_std("wide", "acc")
    assert mean == pytest.approx(2.2)
    assert std == pytest.approx(0.1)    # sample std of 2.1, 2.2, 2.3
    table = result.table(["acc"], scale={"acc": 100}, digits=1)
    assert "220.0 ± 10.0" in table
    assert table.splitlines()[0].split() == ["config", "acc"]


def test_ablation_seeds_each_run():
    seen = []

    def run(config, seed):
        seen.append((seed, float(np.random.random())))
        return {"m": 0.0}

    training.ablation({"a": None, "b": None}, run, seeds=[5, 6],
                      verbose=False)
    # the same seed gives the same random stream in every configuration
    assert seen[0] == seen[2] and seen[1] == seen[3]
    assert seen[0] != seen[1]


@pytest.mark.parametrize("configs, seeds, run, error, text", [
    ({}, [1], lambda c, s: {}, ValueError, "configs"),
    ({"a": 1}, [], lambda c, s: {}, ValueError, "seeds"),
    ({"a": 1}, [1, 1], lambda c, s: {}, ValueError, "distinct"),
    ({"a": 1}, [1.5], lambda c, s: {}, TypeError, "seeds"),
    ({"a": 1}, [1], "run", TypeError, "run"),
    ({"a": 1}, [1], lambda c, s: 0.5, TypeError, "mapping"),
    ({"a": 1}, [1], lambda c, s: {"m": float("nan")}, ValueError, "finite"),
])
def test_ablation_bad_arguments(configs, seeds, run, error, text):
    with pytest.raises(error, match=text):
        training.ablation(configs, run, seeds, verbose=False)


def test_ablation_plot_has_error_bars():
    import matplotlib

    matplotlib.use("Agg")
    result = training.ablation({"a": 1.0, "b": 2.0},
                               lambda c, s: {"m": c + s / 100},
                               seeds=[1, 2, 3], verbose=False)
    ax = result.plot("m", baseline="a")
    assert {t.get_text() for t in ax.get_yticklabels()} == {"a", "b"}
    errorbars = [c for c in ax.containers
                 if type(c).__name__ == "ErrorbarContainer"]
    assert len(errorbars) == 2           # one error bar per config


# -------------------------------------------------------- model_stats


def test_model_stats_match_hand_formulas():
    model = keras.Sequential([
        keras.Input((8, 8, 16)),
        layers.Conv2D(32, 3, padding="same", name="conv"),
        layers.SeparableConv2D(32, 3, padding="same", name="sep"),
        layers.DepthwiseConv2D(3, name="dw"),
        layers.BatchNormalization(name="bn"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Conv2D(8, 1, groups=2, name="grouped"),
        layers.Flatten(name="flat"),
        layers.Dense(10, name="fc"),
    ])
    rows = {r.name: r for r in model_stats.layer_stats(model)}
    assert rows["conv"].macs == 8 * 8 * 32 * 3 * 3 * 16
    assert rows["conv"].params == 3 * 3 * 16 * 32 + 32
    assert rows["sep"].macs == 8 * 8 * (3 * 3 * 32 + 32 * 32)
    assert rows["dw"].macs == 6 * 6 * 32 * 3 * 3
    assert rows["dw"].output_shape == (6, 6, 32)
    assert rows["bn"].macs == 0 and rows["bn"].trainable == 64
    assert rows["bn"].params == 128
    assert rows["pool"].macs == 0
    assert rows["grouped"].macs == 3 * 3 * 8 * (32 // 2)
    assert rows["fc"].macs == 3 * 3 * 8 * 10
    assert sum(r.params for r in rows.values()) == model.count_params()
    assert model_stats.count_macs(model) == sum(r.macs for r in rows.values())
    table = model_stats.stats_table(model, share=True)
    assert all(len(line) <= 80 for line in table.splitlines())
    assert table.splitlines()[-1].startswith("total")


def test_model_stats_nested_model_and_errors():
    inner = keras.Sequential([keras.Input((4, 4, 3)),
                              layers.Conv2D(5, 3, name="inner_conv")])
    outer = keras.Sequential([keras.Input((4, 4, 3)), inner,
                              layers.Flatten(), layers.Dense(2, name="d")])
    names = [r.name for r in model_stats.layer_stats(outer)]
    assert "inner_conv" in names and "d" in names
    with pytest.raises(TypeError, match="Keras model"):
        model_stats.layer_stats("model")
    unbuilt = keras.Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match="not built"):
        model_stats.layer_stats(unbuilt)
    free = keras.Sequential([keras.Input((None, None, 3)),
                             layers.Conv2D(2, 3)])
    with pytest.raises(ValueError, match="fixed input shape"):
        model_stats.count_macs(free)


def test_model_cards_table():
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              layers.Conv2D(4, 3, name="c"),
                              layers.Flatten(), layers.Dense(2)])
    card = model_stats.model_card(model, accuracy=0.9123, train_seconds=12.4,
                                  name="tiny")
    assert card.params == model.count_params()
    assert card.macs == model_stats.count_macs(model) == 6 * 6 * 4 * 9 + 144 * 2
    assert card.ms_per_image > 0
    table = model_stats.cards_table([card, card])
    lines = table.splitlines()
    assert len(lines) == 4 and all(len(line) <= 80 for line in lines)
    assert "91.23%" in lines[2] and lines[2].startswith("tiny")
    with pytest.raises(ValueError, match="accuracy"):
        model_stats.model_card(model, accuracy=91.2, train_seconds=1)
    with pytest.raises(ValueError, match="train_seconds"):
        model_stats.model_card(model, accuracy=0.9, train_seconds=-1)
    with pytest.raises(ValueError, match="at least one"):
        model_stats.cards_table([])


class _CountingLayer(layers.Layer):
    """Counts how often its Python code runs (once per trace when compiled)."""

    runs = 0

    def call(self, x):
        type(self).runs += 1
        return x * 2.0


def test_cpu_time_is_of_the_compiled_graph_unless_asked_for_eager():
    model = keras.Sequential([keras.Input((6, 6, 2)), _CountingLayer(),
                              layers.Conv2D(3, 3), layers.Flatten()])
    _CountingLayer.runs = 0
    ms = model_stats.cpu_ms_per_image(model, batch_size=4, rounds=7)
    assert ms > 0 and _CountingLayer.runs == 1  # traced once, then the graph
    _CountingLayer.runs = 0
    ms = model_stats.cpu_ms_per_image(model, batch_size=4, rounds=7,
                                      compiled=False)
    assert ms > 0 and _CountingLayer.runs == 3 + 7  # every call runs Python


@pytest.mark.parametrize("kwargs, error", [
    ({"batch_size": 0}, ValueError), ({"rounds": 0}, ValueError),
    ({"batch_size": 2.0}, TypeError), ({"rounds": True}, TypeError)])
def test_cpu_time_refuses_bad_arguments(kwargs, error):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)])
    with pytest.raises(error, match=next(iter(kwargs))):
        model_stats.cpu_ms_per_image(model, **kwargs)
    free = keras.Sequential([keras.Input((None, 3)), layers.Dense(2)])
    with pytest.raises(ValueError, match="fixed input shape"):
        model_stats.cpu_ms_per_image(free)


# ----------------------------------------------------------- reusable


def _bn_net(width=4):
    model = keras.Sequential([
        keras.Input((6, 6, 1)),
        layers.Conv2D(width, 3, use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.GlobalAveragePooling2D(),
        layers.Dense(3)])
    model.compile(keras.optimizers.Adam(0.05),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _fit_losses(model, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(32, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 3, 32)
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False,
                        verbose=0).history["loss"]
    return history, [w.copy() for w in model.get_weights()]


def test_reusable_trains_step_for_step_like_a_new_model():
    fresh = training.reusable(_bn_net)
    first = None
    for seed in (3, 4, 3):
        keras.utils.set_random_seed(seed)
        new_losses, new_weights = _fit_losses(training.build(_bn_net), seed)
        keras.utils.set_random_seed(seed)
        model = fresh()
        first = first or model
        losses, weights = _fit_losses(model, seed)
        assert model is first  # one model, graphs traced once
        assert losses == new_losses, seed  # Adam's state restarted too
        for w, v in zip(weights, new_weights):
            np.testing.assert_array_equal(w, v)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


def test_reusable_refuses_bad_builders():
    with pytest.raises(TypeError, match="callable"):
        training.reusable("net")
    uncompiled = training.reusable(lambda: keras.Sequential(
        [keras.Input((2,)), layers.Dense(1)]))
    with pytest.raises(ValueError, match="compile"):
        uncompiled()
