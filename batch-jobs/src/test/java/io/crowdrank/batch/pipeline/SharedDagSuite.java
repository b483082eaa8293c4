package io.crowdrank.batch.pipeline;

import org.junit.platform.suite.api.SelectClasses;
import org.junit.platform.suite.api.Suite;

/**
 * The classes that assert on the shared DAG ({@link PipelineFixtures#dag}), run in one JVM so the
 * DAG is built once however many test JVMs Surefire starts ({@code -Dtest.forks}). The pom runs
 * this suite instead of them (both are left out of the plain scan); {@code -Dtest=PipelineTest}
 * still runs one alone.
 */
@Suite
@SelectClasses({PipelineTest.class, IncrementalPipelineTest.class})
class SharedDagSuite {}
