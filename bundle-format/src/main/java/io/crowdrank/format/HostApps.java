package io.crowdrank.format;

import java.util.List;

/** The host apps mini-programs run in, by their stable lower-case ids. */
public final class HostApps {
  private HostApps() {}

  public static final String ALIPAY = "alipay";
  public static final String WEIBO = "weibo";
  public static final String TMALL = "tmall";
  public static final String KOUBEI = "koubei";
  public static final String AUTONAVI = "autonavi";
  public static final String DINGTALK = "dingtalk";

  /** Every valid host app id, in a fixed order. */
  public static final List<String> ALL = List.of(ALIPAY, WEIBO, TMALL, KOUBEI, AUTONAVI, DINGTALK);

  public static boolean isValid(String id) {
    return id != null && ALL.contains(id);
  }
}
