"""Code-list weights: ethnicity (Decision 1019/QĐ-TCTK codes) and religion, with shares near the
2019 census (Kinh 85.3%, Tày 1.9%, Thái 1.9%, Mường 1.5%, Khmer 1.4%, H'Mông 1.5% ...; no religion
~86%, Công giáo ~6%, Phật giáo ~5%)."""

from __future__ import annotations

import numpy as np

ETHNICITY_WEIGHTS: dict[str, float] = {
    "01": 85.3, "02": 1.92, "03": 1.86, "04": 1.53, "05": 1.37, "06": 0.78, "07": 1.16,
    "08": 1.52, "09": 0.93, "10": 0.53, "11": 0.41, "12": 0.30, "13": 0.21, "14": 0.21,
    "15": 0.18, "16": 0.17, "17": 0.15, "18": 0.14, "19": 0.13, "20": 0.12, "21": 0.10,
    "22": 0.08, "23": 0.07, "24": 0.06, "25": 0.05, "26": 0.05, "27": 0.04, "28": 0.04,
    "29": 0.04, "30": 0.03, "31": 0.03, "32": 0.03, "33": 0.02, "34": 0.02, "35": 0.02,
    "36": 0.01, "37": 0.01, "38": 0.01, "39": 0.01, "40": 0.01, "41": 0.01, "42": 0.005,
    "43": 0.005, "44": 0.005, "45": 0.004, "46": 0.004, "47": 0.003, "48": 0.003, "49": 0.002,
    "50": 0.002, "51": 0.002, "52": 0.001, "53": 0.001, "54": 0.001,
}  # fmt: skip
RELIGION_WEIGHTS: dict[str, float] = {
    "00": 86.3, "01": 4.8, "02": 6.1, "03": 1.0, "04": 0.08, "05": 0.6, "06": 0.01,
    "07": 0.01, "08": 1.0, "09": 0.02, "10": 0.01, "11": 0.01, "12": 0.01, "13": 0.01,
    "14": 0.005,
}  # fmt: skip


def choose_codes(rng: np.random.Generator, weights: dict[str, float], n: int) -> np.ndarray:
    codes = sorted(weights)
    p = np.array([weights[c] for c in codes], dtype=np.float64)
    return np.array(codes)[rng.choice(len(codes), size=n, p=p / p.sum())]
