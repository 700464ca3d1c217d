"""Current weather for a city (OpenWeatherMap)."""

import os
import sys

import requests

API = "https://api.openweathermap.org/data/2.5/weather"


def weather(city: str) -> dict[str, object]:
    key = os.environ["OPENWEATHER_API_KEY"]
    resp = requests.get(API, params={"q": city, "appid": key, "units": "metric"}, timeout=10)
    resp.raise_for_status()
    data = resp.json()
    return {"city": city, "temp_c": data["main"]["temp"], "sky": data["weather"][0]["description"]}


if __name__ == "__main__":
    print(weather(sys.argv[1]))
