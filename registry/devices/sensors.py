"""Sensor words as the formats write them, mapped to the ontology's sensor classes.

The taxonomy itself (rdfs:subClassOf, "an IMU contains an accelerometer") lives in the
ontology; this module only names classes and lists the sub-sensors an importer must state
so that queries need no reasoner.
"""
from __future__ import annotations

import re

from rdflib import URIRef

from ..errors import Invalid
from ..vocab import TR

# Every sensor class the ontology declares, by its local name.
CLASSES = ("Sensor", "Microphone", "PDMMicrophone", "I2SMicrophone", "AnalogMicrophone",
           "InertialSensor", "Accelerometer", "Gyroscope", "Magnetometer", "IMU", "IMU9DoF",
           "Camera", "Thermometer", "HumiditySensor", "PressureSensor", "GasSensor",
           "LightSensor", "ColorSensor", "ProximitySensor", "GestureSensor",
           "TimeOfFlightSensor", "Radar", "MotionSensor")
_BY_KEY = {name.lower(): TR[name] for name in CLASSES}

# Words people use for the same kinds.
_ALIASES = {
    "mic": "Microphone", "pdm": "PDMMicrophone", "pdmmic": "PDMMicrophone",
    "i2smic": "I2SMicrophone", "analogmic": "AnalogMicrophone", "accel": "Accelerometer",
    "gyro": "Gyroscope", "compass": "Magnetometer", "imu6dof": "IMU", "6dofimu": "IMU",
    "6axisimu": "IMU", "imu9": "IMU9DoF", "9dofimu": "IMU9DoF", "9axisimu": "IMU9DoF",
    "temperature": "Thermometer", "temperaturesensor": "Thermometer",
    "humidity": "HumiditySensor", "pressure": "PressureSensor", "barometer": "PressureSensor",
    "gas": "GasSensor", "light": "LightSensor", "ambientlight": "LightSensor",
    "color": "ColorSensor", "colour": "ColorSensor", "proximity": "ProximitySensor",
    "gesture": "GestureSensor", "tof": "TimeOfFlightSensor", "pir": "MotionSensor",
    "motion": "MotionSensor", "imagesensor": "Camera",
}

# What an importer states under ssn:hasSubSystem for each composite class.
_SUBSYSTEMS = {
    TR.IMU: (TR.Accelerometer, TR.Gyroscope),
    TR.IMU9DoF: (TR.Accelerometer, TR.Gyroscope, TR.Magnetometer),
}


def sensor_class(word: str) -> URIRef:
    """The ontology class for a sensor word ("IMU9DoF", "pdm microphone", "accel")."""
    key = re.sub(r"[^a-z0-9]", "", word.lower())
    name = _ALIASES.get(key)
    if name is not None:
        return TR[name]
    if key in _BY_KEY:
        return _BY_KEY[key]
    raise Invalid(f"unknown sensor kind {word!r}; known: {', '.join(CLASSES)}")


def subsystems(classes) -> list[URIRef]:
    """The sub-sensors to state for a sensor typed with `classes`, without repeats."""
    out: list[URIRef] = []
    for cls in classes:
        for part in _SUBSYSTEMS.get(cls, ()):
            if part not in out and part not in classes:
                out.append(part)
    return out
