// Seed 000_246ae9c7ee9a1def.txt "Enhanced Forwarding" (stop and start recording during a call) and
// "Prevent Recording": what a command does to a call, decided without sockets.
#include "services/ingress/recording_control.h"

#include <gtest/gtest.h>

#include <string>

namespace callmesh::ingress {
namespace {

using Action = schema::RecordingAction;
using Outcome = schema::RecordingOutcome;

RecordingCallState recordedCall() {
  RecordingCallState s;
  s.known = s.answered = s.anchored = s.recording = true;
  s.segments = 1;
  return s;
}

TEST(RecordingControl, StopThenStartOfARecordedCallSendsTheNgCommands) {
  auto stop = planRecording(recordedCall(), Action::STOP);
  EXPECT_EQ(stop.outcome, Outcome::APPLIED);
  EXPECT_EQ(std::string(stop.ng_command), "stop recording");
  auto stopped = recordedCall();
  stopped.recording = false;
  auto start = planRecording(stopped, Action::START);
  EXPECT_EQ(start.outcome, Outcome::APPLIED);
  EXPECT_EQ(std::string(start.ng_command), "start recording");
}

TEST(RecordingControl, RepeatedCommandsChangeNothing) {
  auto again = planRecording(recordedCall(), Action::START);
  EXPECT_EQ(again.outcome, Outcome::UNCHANGED);
  EXPECT_EQ(again.ng_command, nullptr);
  auto stopped = recordedCall();
  stopped.recording = false;
  EXPECT_EQ(planRecording(stopped, Action::STOP).outcome, Outcome::UNCHANGED);
  EXPECT_EQ(planRecording(stopped, Action::STOP).ng_command, nullptr);
}

TEST(RecordingControl, CallsThatCannotBeRecordedAreRefusedWithTheirReason) {
  EXPECT_EQ(planRecording(RecordingCallState{}, Action::STOP).outcome, Outcome::UNKNOWN_CALL);
  auto ringing = recordedCall();
  ringing.answered = false;
  EXPECT_EQ(planRecording(ringing, Action::START).outcome, Outcome::NOT_ANSWERED);
  auto direct = recordedCall();
  direct.anchored = false;
  EXPECT_EQ(planRecording(direct, Action::STOP).outcome, Outcome::NOT_ANCHORED);
  for (auto a : {Action::STOP, Action::START}) {
    EXPECT_EQ(planRecording(direct, a).ng_command, nullptr);
    EXPECT_EQ(planRecording(ringing, a).ng_command, nullptr);
  }
}

TEST(RecordingControl, PreventRecordingNumberIsNeverStartedButStopIsHarmless) {
  RecordingCallState prevented = recordedCall();
  prevented.recording = false;
  prevented.prevented = true;
  prevented.segments = 0;
  auto start = planRecording(prevented, Action::START);
  EXPECT_EQ(start.outcome, Outcome::PREVENTED);
  EXPECT_EQ(start.ng_command, nullptr);
  EXPECT_EQ(std::string(start.detail), "the answering number prevents recording");
  EXPECT_EQ(planRecording(prevented, Action::STOP).outcome, Outcome::UNCHANGED);
}

TEST(RecordingControl, SegmentsPerCallAreBounded) {
  auto stopped = recordedCall();
  stopped.recording = false;
  stopped.segments = kMaxRecordingSegments - 1;
  EXPECT_EQ(planRecording(stopped, Action::START).outcome, Outcome::APPLIED);
  stopped.segments = kMaxRecordingSegments;
  EXPECT_EQ(planRecording(stopped, Action::START).outcome, Outcome::PREVENTED);
  EXPECT_EQ(planRecording(stopped, Action::START).ng_command, nullptr);
}

TEST(RecordingControl, OutcomeNamesAreTheMetricLabels) {
  EXPECT_STREQ(recordingOutcomeName(Outcome::APPLIED), "applied");
  EXPECT_STREQ(recordingOutcomeName(Outcome::MEDIA_FAILED), "media_failed");
  EXPECT_STREQ(recordingOutcomeName(Outcome::NOT_ANCHORED), "not_anchored");
  EXPECT_STREQ(recordingActionName(Action::STOP), "stop");
  EXPECT_STREQ(recordingActionName(Action::START), "start");
}

}  // namespace
}  // namespace callmesh::ingress
