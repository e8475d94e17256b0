{
  "targets": [
    {
      "target_name": "conman_native",
      "sources": ["conman_native.c"],
      "cflags": ["-O2", "-Wall"]
    }
  ]
}
