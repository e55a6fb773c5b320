"""The model zoo: real architectures from torchvision, timm and transformers
with random (seeded) weights, built without any download.

Each entry: a builder returning (torch module in eval mode, example inputs as
a dict {name: tensor}). Transformer configs are small (few layers, narrow)
so that a zoo run stays within minutes on 2 cores; the layers are the real
ones (attention, norms, rotary embeddings, grouped-query attention).
"""
import torch


def image(size=224, channels=3, batch=1):
    return {"image": torch.randn(batch, channels, size, size)}


def tokens(length=32, vocab=1000):
    return {"input_ids": torch.randint(0, vocab, (1, length))}


class FirstOutput(torch.nn.Module):
    """A transformers model returning its first output as a plain tensor
    (its last hidden state or logits), so both exporters see a tensor."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *args):
        out = self.model(*args)
        return out[0] if isinstance(out, (tuple, list)) else next(iter(out.values()))


class Segmentation(torch.nn.Module):
    """torchvision's segmentation models return {"out": ...}."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def calibrate_batchnorm(model, size):
    """Sets every BatchNorm's running statistics to those of a few random
    images. With the constructors' defaults (mean 0, variance 1) the
    activations of a randomly initialised deep CNN shrink layer by layer
    (MobileNetV2's logits were ~1e-15), and a comparison would test little."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return model
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # a plain average over the calibration batch
    model.train()
    with torch.no_grad():
        model(torch.randn(4, 3, size, size))
    return model.eval()


def torchvision_model(name, size=224, **kwargs):
    def build():
        import torchvision
        model = getattr(torchvision.models, name)(weights=None, **kwargs)
        return calibrate_batchnorm(model, size), image(size)
    return build


def timm_model(name, size=224, **kwargs):
    def build():
        import timm
        model = timm.create_model(name, pretrained=False, **kwargs)
        return calibrate_batchnorm(model, size), image(size)
    return build


def segmentation(name):
    def build():
        import torchvision
        model = getattr(torchvision.models.segmentation, name)(
            weights=None, weights_backbone=None, num_classes=21)
        return Segmentation(calibrate_batchnorm(model, 224)), image(224)
    return build


def bert():
    from transformers import BertConfig, BertModel
    config = BertConfig(vocab_size=1000, hidden_size=128, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=512,
                        max_position_embeddings=128)
    return FirstOutput(BertModel(config, add_pooling_layer=False)), tokens()


def distilbert():
    from transformers import DistilBertConfig, DistilBertModel
    config = DistilBertConfig(vocab_size=1000, dim=128, n_layers=2, n_heads=4,
                              hidden_dim=512, max_position_embeddings=128)
    return FirstOutput(DistilBertModel(config)), tokens()


def gpt2():
    from transformers import GPT2Config, GPT2Model
    config = GPT2Config(vocab_size=1000, n_embd=128, n_layer=2, n_head=4, n_positions=128)
    return FirstOutput(GPT2Model(config)), tokens()


def t5_encoder():
    from transformers import T5Config, T5EncoderModel
    config = T5Config(vocab_size=1000, d_model=128, d_kv=32, d_ff=256, num_layers=2,
                      num_heads=4)
    return FirstOutput(T5EncoderModel(config)), tokens()


def llama():
    from transformers import LlamaConfig, LlamaModel
    config = LlamaConfig(vocab_size=1000, hidden_size=128, intermediate_size=344,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=128)
    # Attention as explicit matmuls (grouped-query heads repeated): the
    # TorchScript exporter cannot export scaled_dot_product_attention with
    # enable_gqa.
    config._attn_implementation = "eager"
    return FirstOutput(LlamaModel(config)), tokens()


def wav2vec2():
    from transformers import Wav2Vec2Config, Wav2Vec2Model
    config = Wav2Vec2Config(hidden_size=128, num_hidden_layers=2, num_attention_heads=4,
                            intermediate_size=256, conv_dim=(64, 64, 64),
                            conv_stride=(5, 2, 2), conv_kernel=(10, 3, 3),
                            num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
    return FirstOutput(Wav2Vec2Model(config)), {"audio": torch.randn(1, 4000)}


def whisper_encoder():
    from transformers import WhisperConfig
    from transformers.models.whisper.modeling_whisper import WhisperEncoder
    config = WhisperConfig(d_model=128, encoder_layers=2, encoder_attention_heads=4,
                           encoder_ffn_dim=256, num_mel_bins=80, max_source_positions=100)
    return FirstOutput(WhisperEncoder(config)), {"mel": torch.randn(1, 80, 200)}


# name -> builder. Chosen for coverage: classic CNNs, mobile CNNs with
# squeeze-excitation, ConvNeXt, vision transformers (plain, shifted-window,
# mobile), a segmentation head, encoder and decoder language models, a
# LLaMA-style decoder and two speech encoders.
MODELS = {
    "resnet18": torchvision_model("resnet18"),
    "densenet121": torchvision_model("densenet121"),
    "squeezenet1_1": torchvision_model("squeezenet1_1"),
    "shufflenet_v2_x0_5": torchvision_model("shufflenet_v2_x0_5"),
    "mobilenet_v2": torchvision_model("mobilenet_v2"),
    "mobilenet_v3_small": torchvision_model("mobilenet_v3_small"),
    "efficientnet_b0": torchvision_model("efficientnet_b0"),
    "regnet_y_400mf": torchvision_model("regnet_y_400mf"),
    "convnext_tiny": torchvision_model("convnext_tiny"),
    "swin_t": torchvision_model("swin_t"),
    "vit_tiny": timm_model("vit_tiny_patch16_224"),
    "deit_tiny": timm_model("deit_tiny_patch16_224"),
    "mobilevit_xxs": timm_model("mobilevit_xxs", size=256),
    "lraspp_mobilenet_v3": segmentation("lraspp_mobilenet_v3_large"),
    "bert": bert,
    "distilbert": distilbert,
    "gpt2": gpt2,
    "t5_encoder": t5_encoder,
    "llama": llama,
    "wav2vec2": wav2vec2,
    "whisper_encoder": whisper_encoder,
}


# Small variants exported once by `zoo.py --export-ci tests/e2e/zoo` and
# checked in: the regular test suite compiles them and checks them against
# onnxruntime (tests/e2e/test_zoo_models.py). All with torch's default
# (dynamo) exporter: squeeze-excitation with a channel count the block does
# not divide, a mobile vision transformer, BERT's encoder, a LLaMA-style
# decoder with grouped-query attention.
CI_MODELS = {
    "mobilenet_v3_small": torchvision_model("mobilenet_v3_small", size=96, num_classes=10),
    "mobilevit_xxs": timm_model("mobilevit_xxs", size=128, num_classes=10),
    "bert": bert,
    "llama": llama,
}
