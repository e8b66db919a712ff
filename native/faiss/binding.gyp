# Builds aisle_faiss.node, the N-API binding of FAISS used by the companion service.
# Run it through `npm run build:native` (build.mjs): that script finds FAISS and Node's headers
# and passes the FAISS paths in the AISLE_FAISS_* environment variables read below.
{
  'targets': [
    {
      'target_name': 'aisle_faiss',
      'sources': ['addon.cc'],
      'dependencies': [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except",
      ],
      'include_dirs': [
        "<!@(node -p \"process.env.AISLE_FAISS_INCLUDE_DIRS || ''\")",
      ],
      'defines': ['NAPI_VERSION=8'],
      'cflags_cc!': ['-fno-exceptions', '-fno-rtti', '-std=gnu++17'],
      'cflags_cc': ['-std=c++17', '-fexceptions', '-frtti', '-fopenmp', '-O2'],
      'libraries': [
        "<!@(node -p \"process.env.AISLE_FAISS_LIBS || '-lfaiss'\")",
        '-fopenmp',
        '-lblas',
        '-llapack',
      ],
      'ldflags': [
        "<!@(node -p \"process.env.AISLE_FAISS_LDFLAGS || ''\")",
      ],
    },
  ],
}
