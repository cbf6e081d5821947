#!/usr/bin/env python3
"""One LocTex training step written as a researcher would in PyTorch: the
same model, batch, losses, AdamW and clipping as bench/train_step_bench.cpp
times in C++ (Debian's python3-torch, the same libtorch version).

    train_step_python.py [--steps N] [--batch B] [--threads T] [--image-size S] [--width W]

Prints one JSON line like the C++ program. The parameter count is printed so
that the two models can be seen to match.
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.resnet import BasicBlock


def scaled(channels, width):
    return max(1, int(round(channels * width)))


class ResNet18(nn.Module):
    """torchvision's ResNet-18 with every stage's channels times `width`."""

    def __init__(self, width):
        super().__init__()
        widths = [scaled(c, width) for c in (64, 128, 256, 512)]
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, self.inplanes, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(widths[0], 1)
        self.layer2 = self._make_layer(widths[1], 2)
        self.layer3 = self._make_layer(widths[2], 2)
        self.layer4 = self._make_layer(widths[3], 2)
        self.fc = nn.Linear(widths[3], 1000)
        self.channels = widths[3]

    def _make_layer(self, planes, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample), BasicBlock(planes, planes)]
        self.inplanes = planes
        return nn.Sequential(*layers)

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


class LocTex(nn.Module):
    def __init__(self, vocabulary, width, embed=128, text_width=128, layers=2, heads=4, tokens=41):
        super().__init__()
        self.backbone = ResNet18(width)
        c = self.backbone.channels
        self.words = nn.Embedding(vocabulary, text_width, padding_idx=0)
        self.positions = nn.Embedding(tokens, text_width)
        layer = nn.TransformerEncoderLayer(text_width, heads, 4 * text_width, 0.1, activation="gelu")
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.norm = nn.LayerNorm(text_width)
        self.visual_keys = nn.Conv2d(c, embed, 1)
        self.image_head = nn.Linear(c, embed)
        self.caption_head = nn.Linear(text_width, embed)
        self.word_queries = nn.Linear(text_width, embed)
        self.log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def forward(self, images, tokens):
        features = self.backbone.features(images)
        x = self.words(tokens) + self.positions(torch.arange(tokens.shape[1])).unsqueeze(0)
        text = self.norm(self.encoder(x.transpose(0, 1), src_key_padding_mask=tokens.eq(0)).transpose(0, 1))
        image = F.normalize(self.image_head(features.mean((2, 3))), dim=1)
        caption = F.normalize(self.caption_head(text[:, 0]), dim=1)
        keys = self.visual_keys(features).flatten(2)
        logits = torch.bmm(self.word_queries(text), keys) / math.sqrt(keys.shape[1])
        return image, caption, logits, self.log_scale.clamp(max=math.log(100)).exp()


def losses(model, images, tokens, heatmaps, traced):
    image, caption, logits, scale = model(images, tokens)
    sim = scale * image @ caption.t()
    target = torch.arange(sim.shape[0])
    contrastive = (F.cross_entropy(sim, target) + F.cross_entropy(sim.t(), target)) / 2
    h = heatmaps.flatten(2)[traced]
    trace = (torch.xlogy(h, h) - h * torch.log_softmax(logits[traced], 1)).sum(1).mean()
    return contrastive + trace


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--image-size", type=int, default=160)
    p.add_argument("--width", type=float, default=0.25)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    vocabulary, length, grid = 1000, 41, a.image_size // 32
    model = LocTex(vocabulary, a.width)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    images = torch.randn(a.batch, 3, a.image_size, a.image_size)
    tokens = torch.randint(4, vocabulary, (a.batch, length))
    tokens[:, 0] = 2
    heatmaps = torch.softmax(torch.randn(a.batch, length, grid * grid), -1).view(a.batch, length, grid, grid)
    traced = torch.ones(a.batch, length, dtype=torch.bool)
    traced[:, 0] = False

    def step():
        loss = losses(model, images, tokens, heatmaps, traced)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()

    for _ in range(3):
        step()
    start = time.perf_counter()
    for _ in range(a.steps):
        step()
    seconds = time.perf_counter() - start
    print(json.dumps({
        "implementation": "Python PyTorch",
        "parameters": sum(p.numel() for p in model.parameters()),
        "threads": a.threads, "batch": a.batch, "steps": a.steps,
        "samples_per_s": a.steps * a.batch / seconds,
        "ms_per_step": 1000 * seconds / a.steps,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
