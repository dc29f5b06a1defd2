/// A 2048-bit RSA key pair made once with openssl for the RS256 test (test data, no secret).
enum TestRSAKey {
    static let privatePEM = """
        -----BEGIN PRIVATE KEY-----
        MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCr0IJtiRdCNzzQ
        BDymkMcGheU1wRqlQzuXOxZ6KpauCUicBKSc1nuku2L3GK15YET2yciEtwIotmKo
        UfUGbONAkSulekX0j4b8UIVVtd6ParxQaTAjAPTLYhkx1ons9020ZF3UHixREkYF
        K1a9hhDRdGh5p4d86b/6YNrrc5vUiAax+g2vBiTkOxJ+EGO8AscS2u4CuqHA8vyz
        yeJYBXrxRFuZAeYv6EY3noofsp4ioleD1RviL3T62E8NlGBWcxzTeCL49BdoqoiT
        ldPnvnlDoXaoQiyjkZzwjDMwq0WmUrIU4hRAOfURhDMi98mGc8ZVJwfwcE96ZWEA
        1+4DGh0xAgMBAAECggEABrErRVotu1zkq9sAZEH3GI5SSkzUTXvQCEDLTDSYtBxl
        NTt6kGfLvtO0I/j0d8nrwbuECYRJy51n/BOeIjMPSmplG2/G5gLJoI3/1YHtEmO3
        REAGmZRt1HakkdQAAQh0YLp4i5ylv/4g105z9VORl+DreVKQxMkjerx3Rmy1NPrL
        YUzPT+HIgADXHbYvjAoToPeSdqktoQr/F/+fiUQxBQOALEVymx045t9O0R4FP7I7
        UPV9oc5610fV+H1bR6ihfDD7s3xqhmUQeiP/v5PnsLH1SgwvENDvcehmQ/raCKUy
        mqh6gWjbDIXoTXvlPFLF3iaDS8RjEv/+cWoho+7lKQKBgQDvpX/EN2JxwNB1LiWq
        gLMVhNkpyRjvlrEq42L2Mo4woO9OcJmXrog8b7XGwmhh27NdV/6zVDiz0h41qG2V
        CqliMhhm9XnZ1S7EC/Hq6ORErdG+NOqztxVmnllxhl2+xQ0QWQfnqYw2EKlyNBuV
        D5ZGTPedsEEW93hWa8yiA/Po+QKBgQC3igU2qA6Rxq2B/aMdzIRqiIIrGSLm1Qlb
        Eo71ladmeXLbKV+H+i2HUhLj/asT7ToeEW5GOdXYT+9KMM42Q+L8xrWuJte4oxT8
        AbTyAFQq30iB7i+O/MHJWQvKFs2+sOjW6fbdj0I6XvFCywMYUukqJGdIBiyNzlLn
        KhDlHmxb+QKBgQCzUaR0H3lDYyLYvAolNh5K+NhCox5MkPbK/9DaJmQtUQ8gI7Na
        Q5ffmTtsmaXfq7TgIOsOJvQy4gQG5JvyzUKHnrKRwBdIf3N58PI5c8Dy/xmV+SSy
        C0oxOkX1Y7Sb/fjThbsbhsvK3NbeBM2q0ToCKq+SSAO8erqJ+CnsBYcqiQKBgBux
        zuGVcEVc5leEDzXy41Qz7vhT3alZIgVFAp9aCp1y2/rn/ktFW9Ncdg9C+qqSFD/v
        P2WHWpY+UYwvWx5jFgAwd7+kis6IhSUVmNkfZZPmh0lbyH9Z8l/QeO/wivEoPqoX
        ObHq6QJnyx3aBkiIUjiSr6b1j4mCRY4uEciQ06b5AoGAO+/BEKOp7B7W5YFd5sof
        50WjgBmVb+9D+iqkTA2MMcBckj4tX01bEf+8a8wBnWFZ1Uqeq/DJMC0k+kmdkEur
        6MY82EOpdkeB8/e+lHiJVhdsTwuPHLxTusf8A4qb8p3qnt+ktht9/pgDIdlCShZ5
        N73+lTE2Mkpm89KKC6frNaU=
        -----END PRIVATE KEY-----
        """

    static let publicPEM = """
        -----BEGIN PUBLIC KEY-----
        MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAq9CCbYkXQjc80AQ8ppDH
        BoXlNcEapUM7lzsWeiqWrglInASknNZ7pLti9xiteWBE9snIhLcCKLZiqFH1Bmzj
        QJErpXpF9I+G/FCFVbXej2q8UGkwIwD0y2IZMdaJ7PdNtGRd1B4sURJGBStWvYYQ
        0XRoeaeHfOm/+mDa63Ob1IgGsfoNrwYk5DsSfhBjvALHEtruArqhwPL8s8niWAV6
        8URbmQHmL+hGN56KH7KeIqJXg9Ub4i90+thPDZRgVnMc03gi+PQXaKqIk5XT5755
        Q6F2qEIso5Gc8IwzMKtFplKyFOIUQDn1EYQzIvfJhnPGVScH8HBPemVhANfuAxod
        MQIDAQAB
        -----END PUBLIC KEY-----
        """
}
