"""Behavioural statistics of an agent on held-out mazes, after Turner et al., "Behavioural statistics
for a maze-solving agent": which maze features predict whether it gets the cheese.

Only mazes with a decision square count (elsewhere the cheese lies on the way to the top-right and
says nothing about the agent's goal). The target is ``outcome == "cheese"``. Features are z-scored
within each fit, so coefficients are per standard deviation of the feature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import ShuffleSplit, StratifiedKFold, StratifiedShuffleSplit

from cheesemaze.analysis.features import FEATURE_LABELS, FEATURES
from cheesemaze.analysis.stats import wilson_interval
from cheesemaze.envs.maze import WORLD_SIZES

L1_GRID = np.logspace(-3, 1, 9)
"""Inverse regularization strengths tried for the L1 regression (chosen by 5-fold log-loss)."""

PUBLISHED_WORLD = WORLD_SIZES["hard"]
PUBLISHED_SIDE = f"{PUBLISHED_WORLD}x{PUBLISHED_WORLD}"
"""The published numbers' world, as text (procgen's hard world)."""
"""The published numbers come from procgen's hard maze: a 25x25 world (ours is usually 15x15)."""
PUBLISHED_SOURCE = f"Turner et al., their r=5 network on procgen hard, a {PUBLISHED_SIDE} world (not our agent)"
PUBLISHED = {
    "trajectories": 10_000,
    "with_dsq": 5_239,
    "cheese_rate": 0.714,
    "single": {
        "d_euclid_cheese_tr5": 0.775,
        "d_euclid_cheese_tr": 0.773,
        "d_euclid_dsq_cheese": 0.761,
        "d_step_dsq_cheese": 0.754,
    },
    "l1_accuracy": 0.841,
    "study2_accuracy": 0.833,
    "study2_baseline": 0.691,
    "study2_coef_d_euclid_cheese_tr": -2.786,
}
"""The published reference numbers (docs/design.md); study 2 is their 8,000/2,000-split replication."""


@dataclass(frozen=True)
class MultipleRegression:
    """The L1-penalized logistic regression on all features.

    ``coefficients`` has columns feature, coef (fit on all rows), low, high (bootstrap 95%
    percentile interval) and nonzero (fraction of bootstrap fits keeping the feature).
    """

    C: float
    accuracy: float
    accuracy_sd: float
    baseline: float
    coefficients: pd.DataFrame


@dataclass(frozen=True)
class BehaviourStats:
    """Everything :func:`behaviour_statistics` computes, for one distribution and policy."""

    episodes: int
    with_dsq: int
    cheese: int
    single: pd.DataFrame
    multiple: MultipleRegression
    correlations: pd.DataFrame
    vifs: pd.Series

    @property
    def cheese_rate(self) -> float:
        return self.cheese / self.with_dsq

    @property
    def cheese_ci(self) -> tuple[float, float]:
        return wilson_interval(self.cheese, self.with_dsq)


def design(rows: pd.DataFrame, features: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Feature matrix and cheese labels (1 = got the cheese) of decision-square rows."""
    return rows[list(features)].to_numpy(dtype=float), (rows["outcome"] == "cheese").to_numpy(dtype=int)


def zscore(train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Standardize by the training columns' mean and sd (a constant column stays 0)."""
    mean, sd = train.mean(axis=0), train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return [(x - mean) / sd for x in (train, *others)]


def usable_features(rows: pd.DataFrame, features: tuple[str, ...]) -> tuple[str, ...]:
    """The features that vary over ``rows`` and have no NaN (a constant column predicts nothing)."""
    values = rows[list(features)]
    return tuple(f for f in features if values[f].notna().all() and values[f].nunique() > 1)


MIN_PER_OUTCOME = 10
"""Fewest episodes with the cheese, and without, that the statistics accept: the L1 regression's
training parts (80%) then keep at least 8 of each, enough for its 5-fold choice of strength."""


def check_rows(rows: pd.DataFrame) -> None:
    """Raise ``ValueError`` unless both outcomes occur often enough to fit and score a classifier."""
    y = rows["outcome"] == "cheese"
    if y.sum() < MIN_PER_OUTCOME or (~y).sum() < MIN_PER_OUTCOME:
        raise ValueError(
            f"behavioural statistics need at least {MIN_PER_OUTCOME} decision-square episodes with the "
            f"cheese and {MIN_PER_OUTCOME} without; got {len(rows)} episodes, {int(y.sum())} with the "
            "cheese (evaluate more mazes: --n)"
        )


def logistic_1d(z: np.ndarray, y: np.ndarray, weights: np.ndarray, ridge: float = 1e-6,
                iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood intercept and slope of ``P(y) = sigmoid(a + b z)`` for many fits at once.

    ``z`` and ``weights`` are (fits, n): each row is one fit's feature values and 0/1 training mask.
    Newton's method, vectorized over fits; a tiny ridge keeps separable data finite.
    """
    a, b = np.zeros(len(z)), np.zeros(len(z))
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(a[:, None] + b[:, None] * z)))
        r = weights * (y - p)
        s = weights * p * (1 - p)
        ga, gb = r.sum(axis=1), (r * z).sum(axis=1) - ridge * b
        haa, hab, hbb = s.sum(axis=1) + ridge, (s * z).sum(axis=1), (s * z * z).sum(axis=1) + ridge
        det = haa * hbb - hab * hab
        da, db = (hbb * ga - hab * gb) / det, (haa * gb - hab * ga) / det
        a, b = a + da, b + db
        if max(np.abs(da).max(), np.abs(db).max()) < 1e-10:
            break
    return a, b


def single_feature_accuracies(rows: pd.DataFrame, features: tuple[str, ...] = FEATURES,
                              n_splits: int = 50, seed: int = 0) -> pd.DataFrame:
    """Held-out accuracy of a one-feature logistic regression per feature, over repeated 80/20 splits.

    Columns: feature, label, accuracy, accuracy_sd, baseline (majority class of the training part,
    scored on the test part), coef (standardized, mean over splits), n.
    """
    check_rows(rows)
    features = usable_features(rows, features)
    x_all, y = design(rows, features)
    train = np.zeros((n_splits, len(y)))
    for k, (tr, _) in enumerate(ShuffleSplit(n_splits, test_size=0.2, random_state=seed).split(rows)):
        train[k, tr] = 1
    test = 1 - train
    majority = (train @ y) / train.sum(axis=1) >= 0.5
    baseline = float(np.mean((test * (y == majority[:, None])).sum(axis=1) / test.sum(axis=1)))
    out = []
    for j, feature in enumerate(features):
        x = np.broadcast_to(x_all[:, j], train.shape)
        mean = (train * x).sum(axis=1, keepdims=True) / train.sum(axis=1, keepdims=True)
        sd = np.sqrt((train * (x - mean) ** 2).sum(axis=1, keepdims=True) / train.sum(axis=1, keepdims=True))
        z = (x - mean) / np.where(sd > 0, sd, 1.0)
        a, b = logistic_1d(z, y, train)
        predicted = a[:, None] + b[:, None] * z > 0
        accs = (test * (predicted == y)).sum(axis=1) / test.sum(axis=1)
        out.append({"feature": feature, "label": FEATURE_LABELS[feature], "accuracy": accs.mean(),
                    "accuracy_sd": accs.std(), "baseline": baseline, "coef": b.mean(), "n": len(rows)})
    return pd.DataFrame(out).sort_values("accuracy", ascending=False, ignore_index=True)


def l1_model(C: float) -> LogisticRegression:
    return LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear")


def choose_C(x: np.ndarray, y: np.ndarray, seed: int) -> float:
    """The L1 strength in ``L1_GRID`` with the best 5-fold cross-validated log-loss."""
    folds = list(StratifiedKFold(5, shuffle=True, random_state=seed).split(x, y))
    losses = []
    for C in L1_GRID:
        loss = 0.0
        for tr, te in folds:
            x_tr, x_te = zscore(x[tr], x[te])
            p = np.clip(l1_model(C).fit(x_tr, y[tr]).predict_proba(x_te)[:, 1], 1e-12, 1 - 1e-12)
            loss -= np.sum(y[te] * np.log(p) + (1 - y[te]) * np.log(1 - p))
        losses.append(loss)
    return float(L1_GRID[int(np.argmin(losses))])


def multiple_regression(rows: pd.DataFrame, features: tuple[str, ...] = FEATURES, n_splits: int = 20,
                        n_boot: int = 200, seed: int = 0) -> MultipleRegression:
    """L1 logistic regression on all usable features: held-out accuracy over repeated 80/20 splits,
    the strength chosen inside each split's training part (nested cross-validation, so the test part
    takes no part in choosing it), and, with the strength chosen on all rows, standardized
    coefficients with bootstrap intervals."""
    check_rows(rows)
    features = usable_features(rows, features)
    x, y = design(rows, features)
    accs, bases = [], []
    for tr, te in StratifiedShuffleSplit(n_splits, test_size=0.2, random_state=seed).split(x, y):
        x_tr, x_te = zscore(x[tr], x[te])
        accs.append(l1_model(choose_C(x[tr], y[tr], seed)).fit(x_tr, y[tr]).score(x_te, y[te]))
        bases.append(np.mean(y[te] == int(y[tr].mean() >= 0.5)))
    C = choose_C(x, y, seed)
    (xz,) = zscore(x)
    coef = l1_model(C).fit(xz, y).coef_[0]
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_boot):
        idx = rng.integers(len(y), size=len(y))
        if y[idx].min() == y[idx].max():
            continue
        (xb,) = zscore(x[idx])
        boots.append(l1_model(C).fit(xb, y[idx]).coef_[0])
    boots = np.array(boots).reshape(-1, len(features))
    nan = np.full(len(features), np.nan)
    table = pd.DataFrame({
        "feature": features, "label": [FEATURE_LABELS[f] for f in features], "coef": coef,
        "low": np.percentile(boots, 2.5, axis=0) if len(boots) else nan,
        "high": np.percentile(boots, 97.5, axis=0) if len(boots) else nan,
        "nonzero": (boots != 0).mean(axis=0) if len(boots) else nan,
    })
    table = table.reindex(table["coef"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    return MultipleRegression(C, float(np.mean(accs)), float(np.std(accs)), float(np.mean(bases)), table)


def variance_inflation(rows: pd.DataFrame, features: tuple[str, ...] = FEATURES) -> pd.Series:
    """VIF of each usable feature: 1 / (1 - R^2) of a least-squares fit of it on the others."""
    features = usable_features(rows, features)
    x = rows[list(features)].to_numpy(dtype=float)
    out = {}
    for j, feature in enumerate(features):
        others = np.column_stack([np.ones(len(x)), np.delete(x, j, axis=1)])
        coef, *_ = np.linalg.lstsq(others, x[:, j], rcond=None)
        resid = x[:, j] - others @ coef
        r2 = 1 - resid.var() / x[:, j].var()
        out[feature] = np.inf if r2 >= 1 - 1e-12 else 1 / (1 - r2)
    return pd.Series(out, name="vif")


def decision_rows(df: pd.DataFrame, distribution: str = "anywhere", policy: str = "sampled") -> pd.DataFrame:
    """Rows of one distribution and policy whose maze has a decision square."""
    rows = df[(df["distribution"] == distribution) & (df["policy"] == policy)]
    if rows.empty:
        have = sorted(set(zip(df["distribution"], df["policy"])))
        raise ValueError(f"the table has no {distribution}/{policy} episodes; it has {have}")
    return rows[rows["has_dsq"]].reset_index(drop=True)


def behaviour_statistics(df: pd.DataFrame, distribution: str = "anywhere", policy: str = "sampled",
                         n_splits: int = 50, n_boot: int = 200, seed: int = 0) -> BehaviourStats:
    """All the statistics for the decision-square mazes of one distribution and policy."""
    episodes = int(((df["distribution"] == distribution) & (df["policy"] == policy)).sum())
    rows = decision_rows(df, distribution, policy)
    check_rows(rows)
    used = usable_features(rows, FEATURES)
    return BehaviourStats(
        episodes=episodes,
        with_dsq=len(rows),
        cheese=int((rows["outcome"] == "cheese").sum()),
        single=single_feature_accuracies(rows, FEATURES, n_splits, seed),
        multiple=multiple_regression(rows, FEATURES, max(1, n_splits // 2), n_boot, seed),
        correlations=rows[list(used)].corr(),
        vifs=variance_inflation(rows, FEATURES),
    )


def published_comparison(stats: BehaviourStats) -> pd.DataFrame:
    """Our numbers beside the published ones, row by row, as docs/design.md lists them.

    Columns: quantity, ours, ours_interval, published, published_note. ``published`` is NaN where
    the paper gives no number.
    """
    single = stats.single.set_index("feature")
    coefs = stats.multiple.coefficients.set_index("feature")
    low, high = stats.cheese_ci
    rows = [
        ("trajectories", stats.episodes, "", PUBLISHED["trajectories"], ""),
        ("with a decision square", stats.with_dsq, "", PUBLISHED["with_dsq"], ""),
        ("P(cheese | decision square)", stats.cheese_rate, f"{low:.3f}-{high:.3f} (Wilson 95%)",
         PUBLISHED["cheese_rate"], ""),
    ]
    for feature, value in PUBLISHED["single"].items():
        ours = single.loc[feature] if feature in single.index else None
        rows.append((f"single-feature accuracy: {FEATURE_LABELS[feature]}",
                     np.nan if ours is None else ours["accuracy"],
                     "" if ours is None else f"sd {ours['accuracy_sd']:.3f} over splits", value, ""))
    m = stats.multiple
    rows += [
        ("L1 multiple regression accuracy", m.accuracy, f"sd {m.accuracy_sd:.3f} over splits",
         PUBLISHED["l1_accuracy"], f"study 2: {PUBLISHED['study2_accuracy']}"),
        ("majority-class baseline accuracy", m.baseline, "", PUBLISHED["study2_baseline"], "study 2"),
    ]
    for feature, value, note in (
        ("d_euclid_cheese_tr", PUBLISHED["study2_coef_d_euclid_cheese_tr"], "study 2; strongest coefficient"),
        ("d_step_dsq_cheese", np.nan, "study 2: second strongest, value not given"),
    ):
        if feature in coefs.index:
            c = coefs.loc[feature]
            # 1 + how many coefficients are larger in size; a zero one was dropped, not ranked
            rank = f"rank {int((coefs['coef'].abs() > abs(c['coef'])).sum()) + 1}" if c["coef"] else "dropped by L1"
            rows.append((f"standardized coefficient: {FEATURE_LABELS[feature]}", c["coef"],
                         f"{c['low']:.3f} to {c['high']:.3f} (bootstrap 95%); {rank}", value, note))
    names = ["quantity", "ours", "ours_interval", "published", "published_note"]
    # object columns keep counts as integers beside rates and coefficients
    return pd.DataFrame({n: pd.Series(list(col), dtype=object) for n, col in zip(names, zip(*rows))})
