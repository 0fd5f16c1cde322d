#include "shared/encoding/base64.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>

namespace tributary::encoding {

TEST(Base64, EncodesRfc4648Vectors) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodeRoundTripsAllByteValues) {
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    for (size_t n = 0; n <= all.size(); n += 7) {
        auto s = all.substr(0, n);
        auto d = base64_decode(base64_encode(s));
        ASSERT_TRUE(d);
        EXPECT_EQ(*d, s);
    }
}

TEST(Base64, EncodingMatchesOpenSslForEveryLengthAndByte) {
    std::mt19937 rng(11);
    for (size_t n = 0; n < 300; ++n) {
        std::string s(n, '\0');
        for (auto& c : s) c = static_cast<char>(rng());
        std::string want(4 * ((n + 2) / 3) + 1, '\0');
        int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(want.data()),
                                  reinterpret_cast<const unsigned char*>(s.data()),
                                  static_cast<int>(n));
        want.resize(static_cast<size_t>(len));
        std::string got = "prefix";
        base64_encode_append(s, got);
        ASSERT_EQ(got, "prefix" + want) << "length " << n;
    }
}

TEST(Base64, DecodeRejectsBadLengthAndAlphabet) {
    EXPECT_FALSE(base64_decode("23456"));
    EXPECT_FALSE(base64_decode("ab$d"));
    EXPECT_FALSE(base64_decode("a==="));
    EXPECT_FALSE(base64_decode("Zg=a"));
    EXPECT_TRUE(base64_decode("Zg=="));
}

TEST(Hex, EncodesLowercase) { EXPECT_EQ(hex_encode("\x01\xab\xff"), "01abff"); }

}  // namespace tributary::encoding
