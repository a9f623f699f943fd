"""A tiny randomly initialised RoBERTa with a byte-level BPE tokenizer trained on given texts."""

from __future__ import annotations

from pathlib import Path


def build_tiny_roberta(folder: Path, texts: list[str], *, layers: int = 3, seed: int = 0) -> Path:
    """Save tokenizer and model files of a small RoBERTa to ``folder`` and return it."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaModel, RobertaTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(
        texts,
        vocab_size=400,
        min_frequency=1,
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    )
    bpe.save_model(str(folder))
    tokenizer = RobertaTokenizer.from_pretrained(str(folder), model_max_length=128)
    tokenizer.save_pretrained(str(folder))
    torch.manual_seed(seed)
    config = RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=130,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    RobertaModel(config).eval().save_pretrained(str(folder))
    return folder
