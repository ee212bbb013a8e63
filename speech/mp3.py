"""MP3 encoding of synthesised samples, and the duration of MP3 audio."""

import lameenc
import miniaudio
import numpy as np

# Sample rates an MPEG-1/2 layer III stream can carry.
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)


def encode(samples: np.ndarray, rate: int, *, bitrate_kbps: int, sample_rate: int) -> bytes:
    """Encode mono samples (int16 scale) to constant-bitrate MP3 at no more than sample_rate."""
    pcm = np.clip(np.rint(samples), -32768, 32767).astype("<i2")
    encoder = lameenc.Encoder()
    encoder.set_channels(1)
    encoder.set_bit_rate(bitrate_kbps)
    encoder.set_in_sample_rate(rate)
    # LAME low-pass filters and resamples on its own (48 kHz Open JTalk → 24 kHz), so no
    # resampler of ours is needed; below the target rate the input rate is kept.
    target = min(rate, sample_rate)
    encoder.set_out_sample_rate(max(r for r in _MP3_RATES if r <= target))
    # LAME's trade-off from 0 (slowest) to 9: 5 encodes in half the time of 2, and the
    # encoder is a fifth of a card's synthesis time.
    encoder.set_quality(5)
    return bytes(encoder.encode(pcm.tobytes()) + encoder.flush())


def duration(mp3: bytes) -> float:
    """Seconds of audio in MP3 bytes; raises miniaudio.DecodeError when they are not MP3."""
    return miniaudio.mp3_get_info(mp3).duration
