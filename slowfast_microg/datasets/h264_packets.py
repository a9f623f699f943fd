"""What an H.264 packet (length-prefixed NAL units, as stored in mp4) holds, read from the NAL
header of its first slice, without decoding it.

- A *disposable* packet holds a picture no other picture refers to (``nal_ref_idc`` 0, e.g.
  x264's non-reference B-frames): it can be left undecoded when its own frame is not wanted.
- An *independent* packet holds an IDR picture: no picture after it in decode order refers to
  a picture before it, so everything before it can be left undecoded when no wanted frame
  lies there.
"""

from __future__ import annotations

_IDR_SLICE = 5
_SLICE_TYPES = (1, _IDR_SLICE)


class H264Packets:
    """Classifies the packets of one H.264 stream.

    Args:
        length_size: bytes of each NAL unit's length prefix (1, 2 or 4, from the stream's
            ``avcC`` extradata).
    """

    def __init__(self, *, length_size: int) -> None:
        self.length_size = length_size

    def _slice_header(self, data: bytes) -> int | None:
        """The NAL header byte of the first slice in ``data``, or None if it holds no slice."""
        size = self.length_size
        offset = 0
        while offset + size < len(data):
            header = data[offset + size]
            if header & 0x1F in _SLICE_TYPES:
                return header
            offset += size + int.from_bytes(data[offset : offset + size], "big")
        return None

    def disposable(self, data: bytes) -> bool:
        """Whether the packet's picture is a reference for no other picture."""
        header = self._slice_header(data)
        return header is not None and header & 0x60 == 0

    def independent(self, data: bytes) -> bool:
        """Whether the packet holds an IDR picture."""
        header = self._slice_header(data)
        return header is not None and header & 0x1F == _IDR_SLICE


def h264_packets(codec_context) -> H264Packets | None:
    """A classifier for the packets of a stream, or None unless it is H.264 with length-prefixed
    NAL units (other codecs and Annex B byte streams are decoded in full)."""
    extradata = codec_context.extradata
    if codec_context.name != "h264" or not extradata or len(extradata) < 5 or extradata[0] != 1:
        return None
    return H264Packets(length_size=(extradata[4] & 3) + 1)
