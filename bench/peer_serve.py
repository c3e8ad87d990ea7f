"""The serving peer for `make bench`: the original design's predict service (FastAPI + uvicorn)
with the scikit-learn/LightGBM pipeline that `make parity` compares against.

    python bench/peer_serve.py train TRAIN_CSV TARGET DROP_COLUMNS OUT.joblib
    PEER_MODEL=OUT.joblib JWT_SECRET_KEY=... uvicorn --app-dir bench peer_serve:app --workers 2

It checks mlopsd's own access tokens (HS256, `type` = access) as the original services did with
python-jose, so both sides do the same work per request: auth, validation, one prediction.
"""
import os
import sys
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

import joblib
import jwt
import pandas as pd
from fastapi import Depends, FastAPI, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel


def train(train_csv, target, drop, out):
    import lightgbm as lgb
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    frame = pd.read_csv(train_csv)
    frame = frame.drop(columns=[c for c in drop.split(",") if c and c in frame.columns])
    labels = frame.pop(target)
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in frame.columns if c not in numeric]
    pipeline = make_pipeline(
        ColumnTransformer([
            ("num", SimpleImputer(strategy="median"), numeric),
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                  OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)), categorical),
        ]),
        lgb.LGBMClassifier(n_estimators=300, learning_rate=0.1, num_leaves=31, max_depth=6, random_state=42, n_jobs=1, verbose=-1),
    )
    pipeline.fit(frame, labels)
    joblib.dump({"pipeline": pipeline, "columns": list(frame.columns)}, out)


class PredictRequest(BaseModel):
    features: Dict[str, Any]
    model_name: Optional[str] = None


class BatchRequest(BaseModel):
    features_list: List[Dict[str, Any]]
    model_name: Optional[str] = None


app = FastAPI(title="peer predict service")
bearer = HTTPBearer()
_model = {}


def model():
    if not _model:
        loaded = joblib.load(os.environ["PEER_MODEL"])
        _model.update(loaded)
        _model["classes"] = [str(c) for c in loaded["pipeline"].classes_]
    return _model


def user(credentials: HTTPAuthorizationCredentials = Depends(bearer)):
    try:
        claims = jwt.decode(credentials.credentials, os.environ["JWT_SECRET_KEY"], algorithms=["HS256"])
    except jwt.PyJWTError as error:
        raise HTTPException(status_code=401, detail=str(error))
    if claims.get("type") != "access":
        raise HTTPException(status_code=401, detail="not an access token")
    return claims


def frame(records):
    columns = model()["columns"]
    for index, record in enumerate(records):
        missing = [c for c in columns if c not in record]
        if missing:
            raise HTTPException(status_code=422, detail={"index": index, "missing": missing})
    return pd.DataFrame.from_records(records, columns=columns)


@app.on_event("startup")
def load():
    model()


@app.post("/api/v1/predict")
def predict(body: PredictRequest, claims=Depends(user)):
    probabilities = model()["pipeline"].predict_proba(frame([body.features]))[0]
    classes = model()["classes"]
    best = int(probabilities.argmax())
    return {
        "prediction": classes[best],
        "probability": float(probabilities[best]),
        "probabilities": {c: float(p) for c, p in zip(classes, probabilities)},
        "model_name": "peer-lightgbm",
        "model_version": "1",
        "timestamp": datetime.now(timezone.utc).isoformat(),
    }


@app.post("/api/v1/predict/batch")
def batch(body: BatchRequest, claims=Depends(user)):
    probabilities = model()["pipeline"].predict_proba(frame(body.features_list))
    classes = model()["classes"]
    predictions = []
    for row in probabilities:
        best = int(row.argmax())
        predictions.append({"prediction": classes[best], "probability": float(row[best]),
                            "probabilities": {c: float(p) for c, p in zip(classes, row)}})
    return {"predictions": predictions, "count": len(predictions), "errors": [],
            "model_name": "peer-lightgbm", "model_version": "1", "timestamp": datetime.now(timezone.utc).isoformat()}


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "train":
    train(*sys.argv[2:])
