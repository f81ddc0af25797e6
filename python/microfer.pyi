# Type stubs of the microfer extension module (python/microfer_module.cpp).
import os
from typing import Any, Iterable, List, Literal, Optional, Tuple, TypedDict, Union

__version__: str
EMOTIONS: Tuple[str, str, str, str, str, str, str]

class Face(TypedDict):
    label: Optional[str]
    label_index: int
    confidence: float
    uncertain: bool
    probabilities: dict[str, float]
    box: Tuple[float, float, float, float]
    detector_score: float
    landmarks: Optional[List[Tuple[float, float]]]
    measured_landmarks: int

# A path, an image file's bytes, or a numpy uint8 array (H x W, H x W x 3 BGR, H x W x 4 BGRA).
Image = Union[str, bytes, bytearray, memoryview, "os.PathLike[str]", "os.PathLike[bytes]", Any]
ModelPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

class Labeller:
    def __init__(self, detector: str = ..., tta: str = ..., model: Optional[ModelPath] = ...,
                 min_confidence: Optional[float] = ...) -> None: ...
    def label(self, image: Image) -> List[Face]: ...
    def label_many(self, images: Iterable[Image], workers: Optional[int] = ...,
                   on_error: Literal["raise", "none"] = ...) -> List[Optional[List[Face]]]: ...
    @property
    def detector(self) -> str: ...
    @property
    def tta(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def model_name(self) -> str: ...
    @property
    def min_confidence(self) -> float: ...

def label(image: Image, detector: str = ..., tta: str = ..., model: Optional[ModelPath] = ...,
          min_confidence: Optional[float] = ...) -> List[Face]: ...

def label_many(images: Iterable[Image], detector: str = ..., tta: str = ...,
               model: Optional[ModelPath] = ..., min_confidence: Optional[float] = ...,
               workers: Optional[int] = ...,
               on_error: Literal["raise", "none"] = ...) -> List[Optional[List[Face]]]: ...
