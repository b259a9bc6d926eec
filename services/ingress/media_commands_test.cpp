#include "services/ingress/media_commands.h"

#include <gtest/gtest.h>

namespace callmesh::ingress {
namespace {

using media::encodeBencode;

TEST(MediaCommands, OfferAnchorsTheCallersSdpAndAsksForDtmfInjectionOnlyWhenNeeded) {
  EXPECT_EQ(encodeBencode(offerCommand("c1", "ft", "v=0", false)),
            "d7:call-id2:c18:from-tag2:ft7:replacel6:origin18:session-connectione3:sdp3:v=0e");
  EXPECT_EQ(encodeBencode(offerCommand("c1", "ft", "v=0", true)),
            "d7:call-id2:c15:flagsl11:inject-DTMFe8:from-tag2:ft7:replacel6:origin18:session-"
            "connectione3:sdp3:v=0e");
}

TEST(MediaCommands, AnswerRecordsUnlessTheReceivingNumberPreventsIt) {
  auto with = encodeBencode(answerCommand("c1", "ft", "tt", "v=0", false, true));
  EXPECT_NE(with.find("11:record call3:yes"), std::string::npos) << with;
  EXPECT_NE(with.find("6:to-tag2:tt"), std::string::npos);
  auto without = encodeBencode(answerCommand("c1", "ft", "tt", "v=0", false, false));
  EXPECT_EQ(without.find("record call"), std::string::npos) << without;
}

TEST(MediaCommands, DeleteIsImmediate) {
  EXPECT_EQ(encodeBencode(deleteCommand("c1")), "d7:call-id2:c112:delete-delayi0ee");
}

TEST(MediaCommands, DtmfAndMediaName) {
  EXPECT_EQ(encodeBencode(playDtmfCommand("c", "ft", '#', 100)),
            "d7:call-id1:c4:code1:#8:durationi100e8:from-tag2:fte");
  EXPECT_EQ(encodeBencode(playMediaCommand("c", "callee", "/w/a.wav")),
            "d7:call-id1:c4:file8:/w/a.wav8:from-tag6:calleee");
}

TEST(MediaCommands, ReadsSdpAndRecordingFromAReply) {
  media::BDict reply;
  reply["sdp"] = "v=0";
  reply["recordings"] = media::BList{"/r/pcaps/c1-ab.pcap"};
  EXPECT_EQ(sdpOf(media::BValue(reply)), "v=0");
  EXPECT_EQ(recordingOf(media::BValue(reply)), "/r/pcaps/c1-ab.pcap");
  EXPECT_EQ(recordingOf(media::BValue(media::BDict{})), "");
}

TEST(MediaCommands, WhisperNamesArePlainFilesInTheWhisperDir) {
  EXPECT_EQ(whisperFile("/w", "front-desk-whisper").value(), "/w/front-desk-whisper.wav");
  EXPECT_EQ(whisperFile("/w", "sales.WAV").value(), "/w/sales.WAV");
  for (const char* bad : {"", "../etc/passwd", "a/b", ".hidden", "sp ace", "x\n"}) {
    EXPECT_FALSE(whisperFile("/w", bad).ok()) << bad;
  }
  EXPECT_FALSE(whisperFile("/w", std::string(129, 'a')).ok());
  auto unset = whisperFile("", "a");
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.error().message, "media.whisper_dir is not set");
}

}  // namespace
}  // namespace callmesh::ingress
