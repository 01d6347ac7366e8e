"""The plain-language text read aloud in Swedish by espeak-ng, as Ogg/Opus.

Ogg/Opus (opusenc, Debian opus-tools) rather than MP3: Opus is made for speech and sounds
clear at 24-32 kbit/s (a fifth of what MP3 needs), it is open and free of patents, and Ogg
carries chapters as plain comments (CHAPTER001=00:00:00.000, CHAPTER001NAME=…, the
Vorbis-comment chapter convention that players such as VLC and foobar2000 read), so a
listener can jump to "Vem gör vad" without an ID3 extension. Every current browser and phone
plays it. Sections are also set apart by a pause, for players that ignore chapters.

espeak-ng writes one WAV per section; the sections are joined with Python's `wave` and
encoded once. Both tools run without a shell, with a timeout; text goes in on stdin, so
nothing in it can be read as an option."""

from __future__ import annotations

import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from samplan.documents.plain import PlainSection
from samplan.documents.tools import check_tools, run_tool, tool_path

VOICE = "sv"
WORDS_PER_MINUTE = 150  # a little slower than espeak's default 175, for clarity
PAUSE_SECONDS = 1.0
BITRATE_KBPS = 32
# Encoder complexity 3 of 10: speech from a synthesiser loses nothing audible, and a long
# plan (an hour of speech) encodes in about half the time of the default.
COMPLEXITY = 3
MEDIA_TYPE = "audio/ogg; codecs=opus"


@dataclass(frozen=True)
class Chapter:
    title: str
    start_seconds: float


@dataclass(frozen=True)
class Audio:
    content: bytes
    duration_seconds: float
    chapters: tuple[Chapter, ...]


def audio_status() -> tuple[bool, str | None]:
    status = check_tools("espeak-ng", "opusenc")
    return status.available, status.missing_package


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _section_text(section: PlainSection) -> str:
    # One line a sentence; a heading without a full stop would run into the first sentence.
    return "\n".join([section.heading + ".", *section.lines])


def _speak(text: str, out: Path, timeout: float) -> None:
    run_tool(
        ["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(out), "--stdin"],
        stdin=text.encode("utf-8"),
        timeout=timeout,
    )


def read_aloud(sections: Sequence[PlainSection], *, title: str, timeout: float = 300.0) -> Audio:
    """The sections read in Swedish, a pause between them, one chapter each, as Ogg/Opus.
    `ToolMissing` names the package when espeak-ng or opusenc is absent."""
    if not sections:
        raise ValueError("nothing to read aloud")
    tool_path("espeak-ng")
    tool_path("opusenc")
    # Before the sound file is opened: a writer closed with no frames would hide ToolMissing.
    with tempfile.TemporaryDirectory(prefix="samplan-audio-") as tmp:
        folder = Path(tmp)
        chapters: list[Chapter] = []
        joined = folder / "all.wav"
        frames_written = 0
        rate = 0
        with wave.open(str(joined), "wb") as writer:
            for index, section in enumerate(sections):
                part = folder / f"{index:03d}.wav"
                _speak(_section_text(section), part, timeout)
                with wave.open(str(part), "rb") as reader:
                    if index == 0:
                        rate = reader.getframerate()
                        writer.setnchannels(reader.getnchannels())
                        writer.setsampwidth(reader.getsampwidth())
                        writer.setframerate(rate)
                    else:
                        silence = int(rate * PAUSE_SECONDS)
                        writer.writeframes(b"\x00" * silence * reader.getsampwidth())
                        frames_written += silence
                    chapters.append(Chapter(section.heading, frames_written / rate))
                    frames = reader.readframes(reader.getnframes())
                    writer.writeframes(frames)
                    frames_written += reader.getnframes()
        comments: list[str] = ["--comment", "LANGUAGE=sv"]
        for number, chapter in enumerate(chapters, start=1):
            comments += [
                "--comment",
                f"CHAPTER{number:03d}={_timestamp(chapter.start_seconds)}",
                "--comment",
                f"CHAPTER{number:03d}NAME={chapter.title}",
            ]
        encoded = folder / "out.opus"
        run_tool(
            [
                "opusenc",
                "--quiet",
                "--speech",
                "--bitrate",
                str(BITRATE_KBPS),
                "--comp",
                str(COMPLEXITY),
                "--title",
                title,
                "--artist",
                "Samplan",
                *comments,
                str(joined),
                str(encoded),
            ],
            timeout=timeout,
        )
        return Audio(
            content=encoded.read_bytes(),
            duration_seconds=frames_written / rate if rate else 0.0,
            chapters=tuple(chapters),
        )
