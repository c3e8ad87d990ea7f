"""Fit time of the Python peers, timed like `mlopsd-bench fit`: the median of N fits on a 70/30
split with the same hyperparameters (2 threads where the peer has threads)."""
import json
import statistics
import sys
import time

import lightgbm as lgb
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

path, target, drop, family = sys.argv[1:5]
runs = int(sys.argv[5]) if len(sys.argv) > 5 else 3
frame = pd.read_csv(path).drop(columns=[c for c in drop.split(",") if c])
frame = frame.dropna(subset=[target])
y = frame[target]
x = frame.drop(columns=[target])
classification = not pd.api.types.is_numeric_dtype(y)
if classification:
    y = y.astype("category").cat.codes
x_train, _, y_train, _ = train_test_split(x, y, test_size=0.3, random_state=42, stratify=y if classification else None)
numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
categorical = [c for c in x.columns if c not in numeric]
linear = family == "logistic_regression"
encode = ColumnTransformer([
    ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()) if linear else SimpleImputer(strategy="median"), numeric),
    ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                          OneHotEncoder(handle_unknown="ignore") if linear else OrdinalEncoder()), categorical),
])
features = encode.fit_transform(x_train)
if family == "gradient_boosting":
    # mlopsd's boosting splits categorical columns by category set: LightGBM does the same given
    # pandas categories, which makes it the like-for-like peer.
    features = x_train.copy()
    for column in numeric:
        features[column] = features[column].fillna(features[column].median())
    for column in categorical:
        features[column] = features[column].astype("category")
peers = {
    "logistic_regression": ("scikit-learn LogisticRegression", lambda: LogisticRegression(C=1.0, max_iter=1000)),
    "random_forest": ("scikit-learn RandomForest (n_jobs=2)", lambda: (RandomForestClassifier if classification else RandomForestRegressor)(
        n_estimators=100, max_depth=10, random_state=42, n_jobs=2)),
    "gradient_boosting": ("LightGBM (2 threads, categorical)", lambda: (lgb.LGBMClassifier if classification else lgb.LGBMRegressor)(
        n_estimators=300, learning_rate=0.1, num_leaves=31, max_depth=6, random_state=42, n_jobs=2, verbose=-1)),
}
name, make = peers[family]
make().fit(features, y_train)
samples = []
for _ in range(runs):
    model = make()
    start = time.perf_counter()
    model.fit(features, y_train)
    samples.append(time.perf_counter() - start)
print(json.dumps({"implementation": name, "fit_seconds": statistics.median(samples)}))
