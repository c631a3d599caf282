"""alpr-desktop plate reader network (loaded by EasyOCR as a custom recognition network).

A small CRNN (:class:`CRNN`) trained from scratch: a VGG-style convolutional stack turns
a 1x32x128 greyscale crop into 32 column features, one bidirectional LSTM reads them, and
a linear layer scores the CTC classes (blank + the characters of the yaml's
``character_list``).

``Model`` holds ``members`` independently trained CRNNs (an ensemble).
:meth:`Model.member_log_probs` gives each member's own output: alpr-desktop's reader
decodes every member and scores each proposed reading under all of them (independently
trained CTC networks do not align their columns, so their per-column probabilities must
not be mixed). ``forward`` keeps EasyOCR's contract: EasyOCR builds
``Model(num_class=..., **network_params)`` and calls ``model(image, text)``; with several
members it returns the log of their mean per-column probabilities, a rough reading meant
only for EasyOCR's own code paths (``readtext``/``recognize``), which alpr-desktop does
not use.

Licence: AGPL-3.0-or-later (part of alpr-desktop).
"""

from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class CRNN(nn.Module):
    def __init__(
        self,
        input_channel: int = 1,
        output_channel: int = 192,
        hidden_size: int = 96,
        num_class: int = 37,
    ) -> None:
        super().__init__()
        c = [16, 32, 64, 96]
        self.FeatureExtraction = nn.Sequential(
            *_block(input_channel, c[0]),
            nn.MaxPool2d(2, 2),  # 16 x 64
            *_block(c[0], c[1]),
            nn.MaxPool2d(2, 2),  # 8 x 32
            *_block(c[1], c[2]),
            *_block(c[2], c[2]),
            nn.MaxPool2d((2, 1), (2, 1)),  # 4 x 32
            *_block(c[2], c[3]),
            *_block(c[3], c[3]),
            nn.MaxPool2d((2, 1), (2, 1)),  # 2 x 32
            nn.Conv2d(c[3], output_channel, (2, 1), 1, 0, bias=False),  # 1 x 32
            nn.BatchNorm2d(output_channel),
            nn.ReLU(inplace=True),
        )
        self.Dropout = nn.Dropout(0.15)
        self.SequenceModeling = nn.LSTM(
            output_channel, hidden_size, num_layers=1, bidirectional=True, batch_first=True
        )
        self.Prediction = nn.Linear(2 * hidden_size, num_class)

    def forward(self, input: torch.Tensor, text: torch.Tensor | None = None) -> torch.Tensor:
        """Class scores, shape (batch, columns, num_class); ``text`` is ignored (CTC)."""
        feats = self.FeatureExtraction(input)  # B x C x 1 x W'
        if feats.shape[2] != 1:
            feats = nn.functional.adaptive_avg_pool2d(feats, (1, None))
        seq = self.Dropout(feats.squeeze(2).permute(0, 2, 1))  # B x W' x C
        seq, _ = self.SequenceModeling(seq)
        return self.Prediction(seq)


class Model(nn.Module):
    def __init__(
        self,
        input_channel: int = 1,
        output_channel: int = 192,
        hidden_size: int = 96,
        num_class: int = 37,
        members: int = 1,
    ) -> None:
        super().__init__()
        self.members = nn.ModuleList(
            CRNN(input_channel, output_channel, hidden_size, num_class) for _ in range(members)
        )

    def member_log_probs(self, input: torch.Tensor) -> torch.Tensor:
        """Each member's log-probabilities, shape (members, batch, columns, num_class)."""
        return torch.stack([m(input).log_softmax(2) for m in self.members])

    def forward(self, input: torch.Tensor, text: torch.Tensor | None = None) -> torch.Tensor:
        """Class scores (logits or log-probabilities), shape (batch, columns, num_class)."""
        if len(self.members) == 1:
            return self.members[0](input)
        probs = torch.stack([m(input).softmax(2) for m in self.members]).mean(0)
        return probs.clamp_min(1e-8).log()
