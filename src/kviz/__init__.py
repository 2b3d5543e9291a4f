"""kviz: explore the published evidence on vitamin K (K1, K2 as MK-4 / MK-7) for bone and muscle."""

__version__ = "0.1.0"
