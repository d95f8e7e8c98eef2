#!/bin/sh
# make_corpus.sh: writes a small seed corpus of valid safetensors files for fuzz_safetensors.
# usage: fuzz/make_corpus.sh DIR    (needs /usr/bin/python3; the corpus itself is not committed)
set -eu
dir=${1:?usage: make_corpus.sh DIR}
mkdir -p "$dir"
/usr/bin/python3 - "$dir" <<'PY'
import json, struct, sys, os
out = sys.argv[1]
BITS = {"BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8,
        "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
        "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64}

def write(name, tensors, metadata=None, pad=True, raw_header=None):
    header, blobs, off = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for tname, dtype, shape in tensors:
        n = 1
        for d in shape:
            n *= d
        nbytes = n * BITS[dtype] // 8
        header[tname] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + nbytes]}
        blobs.append(bytes((i * 37 + 11) & 0xFF for i in range(nbytes)))
        off += nbytes
    h = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(out, name), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

write("empty", [])
write("meta_only", [], {"format": "mosa", "step": "10"})
write("f32", [("blocks.0.attn.qkv.weight", "F32", [6, 4]), ("blocks.0.norm.bias", "F32", [4])], {"format": "pt"})
write("f16_bf16", [("a", "F16", [3, 5]), ("b", "BF16", [2]), ("s", "F32", [])])
write("empty_and_scalar", [("e", "F32", [0, 3]), ("s", "F32", []), ("z", "U8", [2, 0])])
write("all_dtypes", [("t_" + d, d, [8]) for d in BITS])
write("unicode", [("\u540d\u524d.\u00fc\U0001F600\n\"", "F32", [2])], {"k\u00e9y": "v\u00e4lue\t"})
write("rank8", [("r", "U8", [1, 1, 1, 1, 1, 1, 2, 1])])
write("unpadded", [("x", "I64", [2])], pad=False)
write("whitespace", [("w", "F32", [1])], raw_header=b' \n{ "w" : { "dtype" : "F32" , "shape" : [ 1 ] , "data_offsets" : [ 0 , 4 ] } } \t')
write("escaped_key", [("x", "F16", [1])], raw_header=b'{"\\u005f_metadata__":{"a":"b"},"x\\ud83d\\ude00":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}')
PY
echo "wrote $(ls "$dir" | wc -l) seed files to $dir"
