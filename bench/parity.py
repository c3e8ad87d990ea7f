"""`make parity`: mlopsd against scikit-learn and LightGBM on the same rows.

For each dataset, `mlopsd pipeline` trains its models and exports the exact train/test split it
used; the peers are trained here on that split with the same hyperparameters and equivalent
preprocessing (median/most-frequent imputation; one-hot + scaling for linear models, ordinal
codes for trees). One table is printed; the exit status is 1 when mlopsd is worse than the best
peer of the same family by more than the agreed margins.

Gradient boosting also meets LightGBM and HistGradientBoosting with their native categorical
handling (pandas category columns), the strongest honest peers on categorical data, and a
generated 200,000-row flight-delay set with airports of 240 levels (`bench/make_flights.py`).

On an imbalanced binary target mlopsd tunes its decision threshold by default (`imbalance: auto`:
fit on four fifths of the training rows, pick the F1-best threshold on the fifth left, refit on
all); its F1 is then held to the peers' with the same procedure (scikit-learn's
`TunedThresholdClassifierCV`, a single stratified 20% split, refit), not to their 0.5 cut.
"""
import argparse
import json
import subprocess
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import f1_score, mean_squared_error, roc_auc_score
from sklearn.model_selection import TunedThresholdClassifierCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

DATASETS = [
    ("crashes.csv", "dead", "caseid,injSeverity", None),
    ("penguins.csv", "species", "", None),
    ("diamonds.csv", "price", "", None),
    # Generated into the work directory; boosting is what it is for.
    ("flights.csv", "delay", "", ["gradient_boosting"]),
]
SEED = 42


def preprocessor(frame, linear):
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in frame.columns if c not in numeric]
    if linear:
        num = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
        cat = make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore", max_categories=20))
    else:
        num = SimpleImputer(strategy="median")
        cat = make_pipeline(SimpleImputer(strategy="most_frequent"),
                            OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1))
    return ColumnTransformer([("num", num, numeric), ("cat", cat, categorical)])


def native_categorical(x_train, x_test):
    """Numbers imputed with the median, text columns as pandas categories of the training values
    (missing stays missing): what LightGBM and HistGradientBoosting split by category."""
    train, test = x_train.copy(), x_test.copy()
    for column in train.columns:
        if pd.api.types.is_numeric_dtype(train[column]):
            fill = train[column].median()
            train[column], test[column] = train[column].fillna(fill), test[column].fillna(fill)
        else:
            categories = pd.CategoricalDtype(sorted(train[column].dropna().unique()))
            train[column], test[column] = train[column].astype(categories), test[column].astype(categories)
    return train, test


def peers(task):
    if task == "classification":
        return {
            "logistic_regression": [("LogisticRegression", True, lambda: LogisticRegression(C=1.0, max_iter=1000))],
            "random_forest": [("RandomForest", False, lambda: RandomForestClassifier(n_estimators=100, max_depth=10, random_state=SEED, n_jobs=2))],
            "gradient_boosting": [
                ("HistGradientBoosting", False, lambda: HistGradientBoostingClassifier(max_iter=300, learning_rate=0.1, max_leaf_nodes=31, max_depth=6, early_stopping=False, random_state=SEED)),
                ("LightGBM", False, lambda: lgb.LGBMClassifier(n_estimators=300, learning_rate=0.1, num_leaves=31, max_depth=6, random_state=SEED, n_jobs=2, verbose=-1)),
                ("HistGB categorical", None, lambda: HistGradientBoostingClassifier(max_iter=300, learning_rate=0.1, max_leaf_nodes=31, max_depth=6, early_stopping=False, random_state=SEED, categorical_features="from_dtype")),
                ("LightGBM categorical", None, lambda: lgb.LGBMClassifier(n_estimators=300, learning_rate=0.1, num_leaves=31, max_depth=6, random_state=SEED, n_jobs=2, verbose=-1)),
            ],
        }
    return {
        "linear_regression": [("LinearRegression", True, lambda: LinearRegression())],
        "random_forest": [("RandomForest", False, lambda: RandomForestRegressor(n_estimators=100, max_depth=10, random_state=SEED, n_jobs=2))],
        "gradient_boosting": [
            ("HistGradientBoosting", False, lambda: HistGradientBoostingRegressor(max_iter=300, learning_rate=0.1, max_leaf_nodes=31, max_depth=6, early_stopping=False, random_state=SEED)),
            ("LightGBM", False, lambda: lgb.LGBMRegressor(n_estimators=300, learning_rate=0.1, num_leaves=31, max_depth=6, random_state=SEED, n_jobs=2, verbose=-1)),
            ("HistGB categorical", None, lambda: HistGradientBoostingRegressor(max_iter=300, learning_rate=0.1, max_leaf_nodes=31, max_depth=6, early_stopping=False, random_state=SEED, categorical_features="from_dtype")),
            ("LightGBM categorical", None, lambda: lgb.LGBMRegressor(n_estimators=300, learning_rate=0.1, num_leaves=31, max_depth=6, random_state=SEED, n_jobs=2, verbose=-1)),
        ],
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mlopsd", required=True)
    parser.add_argument("--datasets", required=True)
    parser.add_argument("--work", default="var/parity")
    args = parser.parse_args()
    rows, failures = [], []
    for file, target, drop, families in DATASETS:
        out = Path(args.work) / Path(file).stem
        split = out / "split"
        data = Path(args.datasets) / file
        if not data.exists():
            out.mkdir(parents=True, exist_ok=True)
            data = out / file
            subprocess.run([sys.executable, str(Path(__file__).parent / "make_flights.py"), str(data)], check=True)
        command = [args.mlopsd, "pipeline", "--data", str(data), "--target", target,
                   "--out", str(out), "--export-split", str(split), "--seed", str(SEED), "--json"]
        if drop:
            command += ["--drop", drop]
        if families is None:
            families = ["logistic_regression" if target != "price" else "linear_regression", "random_forest", "gradient_boosting"]
        board = json.loads(subprocess.run(command + ["--models", ",".join(families)], check=True, capture_output=True, text=True).stdout)
        task = board["task"]
        train = pd.read_csv(split / "train.csv")
        test = pd.read_csv(split / "test.csv")
        x_train, x_test = train.drop(columns=[target]), test.drop(columns=[target])
        labels = board["preprocessing"].get("class_labels")
        if task == "classification":
            index = {label: i for i, label in enumerate(labels)}
            y_train = train[target].astype(str).map(index).to_numpy()
            y_test = test[target].astype(str).map(index).to_numpy()
        else:
            y_train, y_test = train[target].to_numpy(float), test[target].to_numpy(float)
        minority = (np.bincount(y_train).min() / len(y_train)) if task == "classification" else None
        counts = np.bincount(y_train) if task == "classification" else None
        tuned = counts is not None and len(counts) == 2 and counts.min() / counts.max() < 0.25
        ours = {entry["model_type"]: entry for entry in board["models"]}
        native_train, native_test = native_categorical(x_train, x_test)
        for family, candidates in peers(task).items():
            if family not in ours:
                continue
            mine = ours[family]["metrics"]
            best = None
            for name, linear, make in candidates:
                if linear is None:
                    fit_x, eval_x, build = native_train, native_test, make
                else:
                    fit_x, eval_x = x_train, x_test
                    build = lambda make=make, linear=linear: make_pipeline(preprocessor(x_train, linear), make())
                model = build().fit(fit_x, y_train)
                if task == "classification":
                    proba = model.predict_proba(eval_x)
                    predicted = proba.argmax(axis=1)
                    if len(labels) == 2:
                        metrics = {"roc_auc": roc_auc_score(y_test, proba[:, 1]), "f1": f1_score(y_test, predicted)}
                        if tuned:
                            cut = TunedThresholdClassifierCV(build(), scoring="f1", cv=0.2, refit=True, random_state=SEED).fit(fit_x, y_train)
                            metrics["f1"] = f1_score(y_test, cut.predict(eval_x))
                            metrics["threshold"] = cut.best_threshold_
                    else:
                        metrics = {"roc_auc": roc_auc_score(y_test, proba, multi_class="ovr"), "f1": f1_score(y_test, predicted, average="macro")}
                else:
                    metrics = {"rmse": mean_squared_error(y_test, model.predict(eval_x)) ** 0.5}
                rows.append((file, family, name, metrics))
                if best is None or (metrics.get("roc_auc", 0) > best.get("roc_auc", 0) if task == "classification" else metrics["rmse"] < best["rmse"]):
                    best = metrics
            reported = {k: mine[k] for k in (("roc_auc", "f1") if task == "classification" else ("rmse",))}
            if ours[family].get("decision_threshold") is not None:
                reported["threshold"] = ours[family]["decision_threshold"]
            rows.append((file, family, "mlopsd", reported))
            # Boosting is held to the goal of its categorical splits: 0.01 AUC, 2% RMSE.
            auc_margin, rmse_margin = (0.01, 0.02) if family == "gradient_boosting" else (0.02, 0.05)
            if task == "classification":
                if mine["roc_auc"] < best["roc_auc"] - auc_margin:
                    failures.append(f"{file} {family}: ROC AUC {mine['roc_auc']:.4f} vs peer {best['roc_auc']:.4f}")
                # Tuned thresholds on a fifth of a small minority move F1 by a few hundredths from
                # one split to the next.
                margin = 0.03 if tuned else 0.05 if minority is not None and minority < 0.1 else 0.02
                # On a small test set (penguins: about 100 rows) two or three rows move F1 by more
                # than that: a gap of fewer rows is not a difference between models.
                margin = max(margin, 2.5 / len(y_test))
                if best["f1"] >= 0.5 or minority < 0.1:
                    if mine["f1"] < best["f1"] - margin:
                        failures.append(f"{file} {family}: F1 {mine['f1']:.4f} vs peer {best['f1']:.4f} (margin {margin})")
            elif mine["rmse"] > best["rmse"] * (1 + rmse_margin):
                failures.append(f"{file} {family}: RMSE {mine['rmse']:.1f} vs peer {best['rmse']:.1f} (+{(mine['rmse'] / best['rmse'] - 1) * 100:.1f}%)")
    print(f"{'dataset':<14}{'family':<22}{'implementation':<22}metrics")
    for file, family, name, metrics in rows:
        print(f"{file:<14}{family:<22}{name:<22}" + "  ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
    if failures:
        print("\nPARITY FAILED:\n  " + "\n  ".join(failures))
        return 1
    print("\nparity: every mlopsd model is within the margins of the best peer of its family")
    return 0


if __name__ == "__main__":
    sys.exit(main())
