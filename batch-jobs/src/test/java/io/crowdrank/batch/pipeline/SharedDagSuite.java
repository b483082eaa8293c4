package io.crowdrank.batch.pipeline;

import org.junit.platform.suite.api.SelectClasses;
import org.junit.platform.suite.api.Suite;

/**
 * The classes that assert on the shared DAG ({@link PipelineFixtures#dag}), run in one JVM so the
 * DAG is built once. Surefire runs its classes in two JVMs and runs this suite instead of them (the
 * pom excludes both from the plain scan); {@code -Dtest=PipelineTest} still runs one alone.
 */
@Suite
@SelectClasses({PipelineTest.class, IncrementalPipelineTest.class})
class SharedDagSuite {}
